import { Type } from 'typebox'
import type { TNull, TSchema, TUnion } from 'typebox'

// Shared primitives of the orchestrator's routes.
export const ErrorBody = Type.Object({
  code: Type.String(),
  message: Type.String(),
  errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), rule: Type.String(), message: Type.String() }))),
  details: Type.Optional(Type.Record(Type.String(), Type.Unknown()))
})

export const OrderId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$' })
export const SagaModeSchema = Type.Enum(['choreography', 'orchestration'])
export const Nullable = <T extends TSchema>(t: T): TUnion<[T, TNull]> => Type.Union([t, Type.Null()])
