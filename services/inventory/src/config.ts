import { Type } from 'typebox'
import type { Static } from 'typebox'
import { serviceConfig } from '@vitrine/service-kit'

export const InventoryConfig = serviceConfig({
  PORT: Type.Integer({ default: 3003, minimum: 0, maximum: 65535 })
})

export type InventoryConfigType = Static<typeof InventoryConfig>
