import { loadConfig, startServer } from '@vitrine/service-kit'
import app from './app.ts'
import { OrchestratorConfig } from './config.ts'

await startServer('orchestrator', app, loadConfig(OrchestratorConfig))
