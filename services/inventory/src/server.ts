import { loadConfig, startServer } from '@vitrine/service-kit'
import app from './app.ts'
import { InventoryConfig } from './config.ts'

await startServer('inventory', app, loadConfig(InventoryConfig))
