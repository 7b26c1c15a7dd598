import { Type } from 'typebox'

// The one error body every service answers with (plugins/errors.ts writes it), for route schemas.
export const FieldErrorSchema = Type.Object({ field: Type.String(), rule: Type.String(), message: Type.String() })

export const ErrorBody = Type.Object({
  code: Type.String({ description: 'a stable SHOP_ERR_* code' }),
  message: Type.String(),
  errors: Type.Optional(Type.Array(FieldErrorSchema)),
  details: Type.Optional(Type.Record(Type.String(), Type.Unknown()))
}, {
  // Shown in the OpenAPI documents: a 400 names each field and rule it broke.
  examples: [{ code: 'SHOP_ERR_VALIDATION', message: 'body.items.0.quantity must be >= 1', errors: [{ field: 'body.items.0.quantity', rule: 'minimum', message: 'must be >= 1' }] }]
})
