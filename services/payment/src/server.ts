import { loadConfig, startServer } from '@vitrine/service-kit'
import app from './app.ts'
import { PaymentConfig } from './config.ts'

await startServer('payment', app, loadConfig(PaymentConfig))
