import { Type } from 'typebox'
import type { TNull, TSchema, TUnion } from 'typebox'

// Shared primitives of the orchestrator's routes.
// The one error body, shared by every service (the kit's error handler writes it).
export { ErrorBody } from '@vitrine/service-kit'

export const OrderId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$' })
export const SagaModeSchema = Type.Enum(['choreography', 'orchestration'])
export const Nullable = <T extends TSchema>(t: T): TUnion<[T, TNull]> => Type.Union([t, Type.Null()])
