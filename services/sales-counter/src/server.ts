import { loadConfig, startServer } from '@vitrine/service-kit'
import app from './app.ts'
import { SalesCounterConfig } from './config.ts'

await startServer('sales-counter', app, loadConfig(SalesCounterConfig))
