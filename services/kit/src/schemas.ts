import { Type } from 'typebox'
import type { Static } from 'typebox'

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

// The step mode's wire shapes (plugins/step.ts answers them; the gateway's /api/admin/step relays
// and merges them across the saga's services).

export const StepChange = Type.Object({
  mode: Type.Union([Type.Literal('on'), Type.Literal('off')], { description: '"on": cada evento da saga espera um "próximo"; "off": tudo volta a fluir (o que estava segurado vai primeiro)' })
}, { additionalProperties: false })

export const HeldEvent = Type.Object({
  service: Type.String(),
  group: Type.String({ description: 'o grupo de consumidores que segura o registro' }),
  topic: Type.String({ description: 'o tópico onde o registro está (o de um retry, para um registro reenviado)' }),
  originTopic: Type.String({ description: 'o tópico do catálogo cujo handler ele espera' }),
  partition: Type.Integer({ minimum: 0 }),
  offset: Type.Integer({ minimum: 0 }),
  key: Type.Union([Type.String(), Type.Null()]),
  eventType: Type.String(),
  timestamp: Type.String({ description: 'quando o produtor o escreveu: a ordem da saga, que o "próximo" segue' }),
  heldSince: Type.String(),
  summary: Type.String({ description: 'o resumo do evento em pt-BR (o mesmo da tela ao vivo)' })
})

export const StepState = Type.Object({
  service: Type.String(),
  on: Type.Boolean(),
  since: Type.Union([Type.String(), Type.Null()], { description: 'desde quando os varredores de prazo estão congelados' }),
  held: Type.Array(HeldEvent)
})

export const StepRelease = Type.Object({
  group: Type.String({ minLength: 1, maxLength: 249 }),
  topic: Type.String({ minLength: 1, maxLength: 249, pattern: '^[a-zA-Z0-9._-]+$' }),
  partition: Type.Integer({ minimum: 0, maximum: 100_000 }),
  offset: Type.Integer({ minimum: 0 })
}, { additionalProperties: false })

export const StepReleased = Type.Object({ released: HeldEvent })

export type StepChangeType = Static<typeof StepChange>
export type HeldEventType = Static<typeof HeldEvent>
export type StepStateType = Static<typeof StepState>
export type StepReleaseType = Static<typeof StepRelease>
