import { Type } from 'typebox'
import type { Static } from 'typebox'
import { CONSUMER_SERVICES } from '@vitrine/contracts'

// A second copy of a saga service (the control plane's `<service>-2`: same code and consumer group,
// its own port), started and stopped from the Kafka page so the class watches its group rebalance.

export const InstanceParams = Type.Object({
  service: Type.Enum([...CONSUMER_SERVICES], { description: 'the saga service to run a second copy of' }),
  action: Type.Enum(['start', 'stop'])
})

export const InstanceCopy = Type.Object({
  service: Type.String(),
  name: Type.String({ description: 'the copy\'s name in the control plane (make start S=<name>)' }),
  group: Type.String({ description: 'the consumer group it joins: the service\'s own' }),
  running: Type.Boolean(),
  port: Type.Integer()
})
export type InstanceCopyType = Static<typeof InstanceCopy>

export const InstanceCopyList = Type.Object({ copies: Type.Array(InstanceCopy) })
