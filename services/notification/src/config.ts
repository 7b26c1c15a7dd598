import { Type } from 'typebox'
import type { Static } from 'typebox'
import { serviceConfig } from '@vitrine/service-kit'

export const NotificationConfig = serviceConfig({
  PORT: Type.Integer({ default: 3004, minimum: 0, maximum: 65535 })
})

export type NotificationConfigType = Static<typeof NotificationConfig>
