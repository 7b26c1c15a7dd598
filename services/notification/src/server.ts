import { loadConfig, startServer } from '@vitrine/service-kit'
import app from './app.ts'
import { NotificationConfig } from './config.ts'

await startServer('notification', app, loadConfig(NotificationConfig))
