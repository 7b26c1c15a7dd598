import { Type } from 'typebox'
import { TOPIC_NAME_MAX, TOPIC_NAME_PATTERN } from '../lib/topic-validation.ts'

// Primitives shared by the route schemas.

export const FieldErrorSchema = Type.Object({ field: Type.String(), rule: Type.String(), message: Type.String() })

/** Every 4xx/5xx body: a stable SHOP_ERR_* code, a message, and for 400 each broken rule. */
export const ErrorBody = Type.Object({
  code: Type.String(),
  message: Type.String(),
  errors: Type.Optional(Type.Array(FieldErrorSchema)),
  details: Type.Optional(Type.Record(Type.String(), Type.Unknown()))
})

export const TopicName = Type.String({ minLength: 1, maxLength: TOPIC_NAME_MAX, pattern: TOPIC_NAME_PATTERN, description: 'a Kafka topic name' })

export const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()])
