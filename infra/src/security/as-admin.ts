import { basename, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { bootstrapServers, databaseUrl, loadSettings, registryUrl } from '../settings.ts'
import { adoptAdminLogin } from './client-login.ts'
import { toolAuthHeaders } from './http-auth.ts'

// `node --import tsx infra/src/security/as-admin.ts <script.ts> [args…]`: runs a tool of ours (the DLQ
// commands, make compare) logged in to Kafka as the admin of the stack in the environment (KAFKA_AUTH=scram;
// nothing changes on PLAINTEXT), as the control plane's tools are. The script sees its own arguments at argv[2…].
const [script, ...args] = process.argv.slice(2)
if (script === undefined) {
  console.error('uso: as-admin.ts <script.ts> [argumentos…]')
  process.exit(2)
}
adoptAdminLogin()
const settings = loadSettings()
// The stack of these settings (KAFKA_PORT, SCHEMA_REGISTRY_PORT...), not kit's defaults, unless the environment names others.
process.env.KAFKA_BROKERS ||= bootstrapServers(settings)
process.env.SCHEMA_REGISTRY_URL ||= registryUrl(settings)
process.env.DATABASE_URL ||= databaseUrl(settings)
// Its HTTP calls to the shop go as the instructor too (HTTP_AUTH=jwt; ignored with none): a short-lived token.
process.env.VITRINE_TOOL_AUTHORIZATION = toolAuthHeaders(settings.stateDir, basename(script, '.ts')).authorization ?? ''
process.argv = [process.argv[0]!, resolve(script), ...args]
await import(pathToFileURL(resolve(script)).href)
