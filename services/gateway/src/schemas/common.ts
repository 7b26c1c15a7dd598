import { Type } from 'typebox'
import { TOPIC_NAME_MAX, TOPIC_NAME_PATTERN } from '../lib/topic-validation.ts'

// Primitives shared by the route schemas.

// The one error body, shared by every service (the kit's error handler writes it).
export { ErrorBody, FieldErrorSchema } from '@vitrine/service-kit'

export const TopicName = Type.String({ minLength: 1, maxLength: TOPIC_NAME_MAX, pattern: TOPIC_NAME_PATTERN, description: 'a Kafka topic name' })

export const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()])
