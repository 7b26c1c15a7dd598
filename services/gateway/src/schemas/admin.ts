import { Type } from 'typebox'

// The instructor's controls (the web's instructor bar): the shop's reset, which the control plane
// runs and the gateway only relays.

/** The reset must be asked for in words: a stray POST (a crawler, a replayed request) wipes nothing. */
export const ResetRequest = Type.Object({
  confirm: Type.Literal('reset', { description: 'the word "reset": the instructor confirmed in the dialog' })
}, { additionalProperties: false })

// The report is the control plane's own (kit's reset.ts); the gateway relays it unchanged.
export { ResetReport } from '@vitrine/service-kit/reset'
