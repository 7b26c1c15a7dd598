import { registryLogin } from '@vitrine/contracts'
import postgres from 'postgres'
import type { ControlPlane } from '../control/plane.ts'
import { SHOP_SCHEMAS } from '../control/reset.ts'
import { EXERCISES_PRINCIPAL } from '../security/acls.ts'
import { kafkaLoginEnv, principalSecurity } from '../security/client-login.ts'
import { principalSasl } from '../security/kafka-auth.ts'
import { bootstrapServers, databaseUrl, registryUrl } from '../settings.ts'
import { createAdmin } from '../topics.ts'
import type { ExerciseContext } from './types.ts'

/**
 * Where the shop a control plane runs lives, for its exercises: the demo's ports and names, or a
 * test's prefix, suffixes and ports (read from the apps' environment, as the services read them).
 * Its Kafka and registry clients log in as the `exercises` principal of the plane's stack, whatever
 * login the process itself has (the control plane's is the admin's). Close it to end its database pool.
 */
export function exerciseContext (plane: ControlPlane): ExerciseContext & { close: () => Promise<void> } {
  const { stack, apps } = plane.settings
  const env = apps.env
  const schemaSuffix = env.DB_SCHEMA_SUFFIX ?? ''
  const sql = postgres(env.DATABASE_URL ?? databaseUrl(stack), { max: 2, onnotice: () => {} })
  const sasl = principalSasl(stack, EXERCISES_PRINCIPAL)
  const brokers = env.KAFKA_BROKERS ?? bootstrapServers(stack)
  return {
    plane,
    brokers,
    security: principalSecurity(stack, EXERCISES_PRINCIPAL),
    admin: (clientId = 'vitrine-exercise') => createAdmin(brokers, clientId, sasl),
    registryLogin: registryLogin(kafkaLoginEnv(stack, EXERCISES_PRINCIPAL)),
    topicPrefix: env.TOPIC_PREFIX ?? '',
    groupSuffix: env.KAFKA_GROUP_SUFFIX ?? '',
    schemaSuffix,
    registryUrl: env.SCHEMA_REGISTRY_URL ?? registryUrl(stack),
    sql,
    schema: (service) => {
      const base = SHOP_SCHEMAS[service]
      if (base === undefined) throw new Error(`no database schema for ${service}`)
      return base + schemaSuffix
    },
    serviceUrl: (service) => {
      const port = apps.ports[service]
      if (port === undefined) throw new Error(`no port for ${service}`)
      return `http://127.0.0.1:${port}`
    },
    close: async () => { await sql.end({ timeout: 5 }) }
  }
}
