import { registryAuthHeaders, registryLogin } from '@vitrine/contracts'
import { envKafkaSecurity } from '@vitrine/service-kit'
import type { KafkaSecurity } from '@vitrine/service-kit'
import type { StackSettings } from '../settings.ts'
import { loadSettings } from '../settings.ts'
import { ADMIN_PRINCIPAL } from './acls.ts'
import { kafkaPassword } from './kafka-auth.ts'

// Who each of our processes logs in to Kafka as, with KAFKA_AUTH=scram: a service as its own
// principal (the supervisor hands it only its own password), the control plane and every tool
// (exercise checkers, chaos drills, the bench, tests' helpers) as the admin. kit's clients read the
// same variables (KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_*: kit's envKafkaSecurity), so one set of env
// vars is the whole wiring.

/** The env vars that log a process in as `principal` (none on a PLAINTEXT stack). */
export function kafkaLoginEnv (s: Pick<StackSettings, 'stateDir' | 'kafkaAuth'>, principal: string): Record<string, string> {
  if (s.kafkaAuth !== 'scram') return {}
  return { KAFKA_SECURITY_PROTOCOL: 'sasl_plaintext', KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512', KAFKA_SASL_USERNAME: principal, KAFKA_SASL_PASSWORD: kafkaPassword(s.stateDir, principal) }
}

/** kit's clients' login (their `security` argument) as `principal`, whatever the process's own is; empty on a PLAINTEXT stack. */
export function principalSecurity (s: Pick<StackSettings, 'stateDir' | 'kafkaAuth'>, principal: string): KafkaSecurity {
  return envKafkaSecurity(kafkaLoginEnv(s, principal))
}

/**
 * A tool's process logs in as the admin of the stack in its settings, unless its environment already
 * names a login (KAFKA_SECURITY_PROTOCOL): kit's clients (EventProducer, readTopic…) then follow.
 * Returns a function that undoes it (tests on a private stack).
 */
export function adoptAdminLogin (s: Pick<StackSettings, 'stateDir' | 'kafkaAuth'> = loadSettings()): () => void {
  if (process.env.KAFKA_SECURITY_PROTOCOL !== undefined && process.env.KAFKA_SECURITY_PROTOCOL !== '') return () => {}
  const vars = kafkaLoginEnv(s, ADMIN_PRINCIPAL)
  for (const [k, v] of Object.entries(vars)) process.env[k] = v
  return () => { for (const k of Object.keys(vars)) Reflect.deleteProperty(process.env, k) }
}

/**
 * The Authorization header that logs a call of the supervisor in to the stack's Schema Registry as
 * `principal` (admin by default: the global compatibility rule is the admin's); none on a PLAINTEXT stack.
 */
export function registryLoginHeaders (s: Pick<StackSettings, 'stateDir' | 'kafkaAuth'>, principal = ADMIN_PRINCIPAL): Record<string, string> {
  return registryAuthHeaders(registryLogin(kafkaLoginEnv(s, principal)))
}
