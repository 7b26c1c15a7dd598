import { loadConfig, startServer } from '@vitrine/service-kit'
import app from './app.ts'
import { GatewayConfig } from './config.ts'

// The only place that listens: validates the environment, then serves until SIGTERM/SIGINT.
const config = loadConfig(GatewayConfig)
await startServer('gateway', app, config)
