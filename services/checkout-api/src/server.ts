import { loadConfig, startServer } from '@vitrine/service-kit'
import app from './app.ts'
import { CheckoutConfig } from './config.ts'

await startServer('checkout-api', app, loadConfig(CheckoutConfig))
