import type { Admin } from '@platformatic/kafka'
import type { KafkaSecurity } from '@vitrine/service-kit'
import type { StackSettings } from '../settings.ts'
import { createAdmin } from '../topics.ts'
import type { AclRule } from './acls.ts'
import { DRILL_PRINCIPAL, drillAcls } from './acls.ts'
import { applyAcls, revokeAcls } from './apply.ts'
import { adminSasl, kafkaPassword, rdkafkaSasl } from './kafka-auth.ts'

// A chaos drill's forbidden write (a record no reader can decode, into orders.new, which only
// checkout-api may write) goes as the `drill` principal, which holds no ACL of its own: the control
// plane, as the admin, grants it WRITE on the one topic for the drill, writes, and revokes the grant
// after, also when the write fails. The drill's timeline says both in pt-BR, so the class sees that
// the write was an exception made for the drill, and that it ended.

/** Grants `drill` a drill's rules (drillAcls); in force on the broker when it returns. */
export async function grantDrill (admin: Admin, rules: readonly AclRule[]): Promise<void> {
  await applyAcls(admin, rules)
}

/** Takes the grant back; in force on the broker when it returns. */
export async function revokeDrill (admin: Admin, rules: readonly AclRule[]): Promise<void> {
  await revokeAcls(admin, rules)
}

/** librdkafka properties that log a client in as `drill` (none on a PLAINTEXT cluster). */
export function drillLogin (s: Pick<StackSettings, 'stateDir' | 'kafkaAuth'>): KafkaSecurity {
  return s.kafkaAuth === 'scram' ? rdkafkaSasl('scram', DRILL_PRINCIPAL, kafkaPassword(s.stateDir, DRILL_PRINCIPAL)) : {}
}

/**
 * Runs `write` with the drill principal's login and WRITE on `topic` granted for just that long.
 * `note` gets the pt-BR lines for the drill's timeline. On a cluster without an authorizer
 * (KAFKA_AUTH=none) nothing is granted and the note says so; `write` then logs in as nobody.
 */
export async function withDrillGrant<T> (s: Pick<StackSettings, 'stateDir' | 'kafkaAuth'>, brokers: string, topic: string, name: string, note: (text: string) => void, write: (security: KafkaSecurity) => Promise<T>): Promise<T> {
  if (s.kafkaAuth !== 'scram') {
    note(`o cluster não tem autorizador (KAFKA_AUTH=none): nenhuma ACL concedida a ${DRILL_PRINCIPAL}, qualquer cliente escreve em ${topic}; com KAFKA_AUTH=scram só o escritor do catálogo pode, e a simulação pede uma ACL temporária`)
    return await write({})
  }
  const admin = createAdmin(brokers, 'vitrine-drill-grant', adminSasl(s))
  // Revoked whatever happens once asked for: a grant that timed out waiting for the broker may still land.
  const rules = drillAcls(topic, name)
  try {
    try {
      await grantDrill(admin, rules)
      note(`ACL concedida a ${DRILL_PRINCIPAL}: WRITE (e DESCRIBE) em ${topic}, só durante esta simulação; fora dela ${DRILL_PRINCIPAL} não tem ACL nenhuma`)
      return await write(drillLogin(s))
    } finally {
      try {
        await revokeDrill(admin, rules)
        note(`ACL de ${DRILL_PRINCIPAL} revogada: WRITE em ${topic}; ${DRILL_PRINCIPAL} volta a ser recusado (TOPIC_AUTHORIZATION_FAILED)`)
      } catch (err) {
        note(`a revogação da ACL de ${DRILL_PRINCIPAL} em ${topic} falhou (${(err as Error).message}): remova com infra/bin/kafka acls --bootstrap-server ${brokers} --remove --force --allow-principal User:${DRILL_PRINCIPAL} --operation WRITE --operation DESCRIBE --topic ${topic}`)
        // eslint-disable-next-line no-unsafe-finally -- a grant left in place must fail the drill, visibly
        throw err
      }
    }
  } finally {
    await admin.close().catch(() => {})
  }
}
