import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { execa } from 'execa'
import { ROOT, bootstrapServers, loadSettings } from '../settings.ts'
import type { StackSettings } from '../settings.ts'
import { ADMIN_PRINCIPAL, REGISTRY_PRINCIPAL, scramPrincipals } from './acls.ts'
import { SCRAM_MECHANISM, freshKafkaPassword, kafkaCredentials, storeKafkaPassword, writeAdminCommandConfig, writeRegistryKafkaConfig } from './kafka-auth.ts'

// `make kafka-senha S=<principal>` (runbooks/07-seguranca.md): rotates one principal's SCRAM password.
// 1. the broker first, with Kafka's own tool (`kafka-configs --alter --entity-type users`, KIP-554),
//    so a failure there leaves the secrets file as it was;
// 2. then <state>/secrets/kafka-users.json (and the admin's or the registry's properties file);
// 3. the running service keeps its open connections (SCRAM is checked at login only) until it is
//    restarted with the new password: `make restart S=<principal>` reads the file again.
// The new password is on the tool's command line for the second it runs (`ps` shows it to users
// of this machine): the same exposure as `kafka-configs` typed by hand.

export interface Rotation { principal: string, command: string[] }

export async function rotateKafkaPassword (s: StackSettings, principal: string): Promise<Rotation> {
  if (s.kafkaAuth !== 'scram') throw new Error('KAFKA_AUTH não é scram: este cluster não tem usuários SCRAM (suba com KAFKA_AUTH=scram make demo)')
  if (!scramPrincipals().includes(principal)) throw new Error(`${principal} não é um usuário Kafka da Vitrine (são: ${scramPrincipals().join(', ')})`)
  kafkaCredentials(s.stateDir)
  const password = freshKafkaPassword()
  const args = ['configs', '--bootstrap-server', bootstrapServers(s), '--alter', '--entity-type', 'users', '--entity-name', principal, '--add-config', `${SCRAM_MECHANISM}=[iterations=8192,password=${password}]`]
  const r = await execa(join(ROOT, 'infra/bin/kafka'), args, { env: { ...process.env, VITRINE_STATE_DIR: s.stateDir }, reject: false, all: true })
  if (r.exitCode !== 0) throw new Error(`kafka-configs recusou a troca (nada mudou em secrets/): ${String(r.all).replaceAll(password, '***').slice(-600)}`)
  storeKafkaPassword(s.stateDir, principal, password)
  if (principal === ADMIN_PRINCIPAL) writeAdminCommandConfig(s, 'scram')
  if (principal === REGISTRY_PRINCIPAL) writeRegistryKafkaConfig(s)
  return { principal, command: ['infra/bin/kafka', ...args.map(a => a.replace(password, '***'))] }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const principal = process.argv[2]
  if (principal === undefined || principal === '') {
    console.error('uso: make kafka-senha S=<serviço> (ex.: S=checkout-api)')
    process.exit(2)
  }
  rotateKafkaPassword(loadSettings(), principal).then(r => {
    console.log(`✔ ${r.command.join(' ')}`)
    console.log(`✔ senha nova de ${principal} guardada em <estado>/secrets/kafka-users.json`)
    console.log(`  As conexões abertas continuam com a antiga até o reinício; reinicie agora: make restart S=${principal}`)
  }, (err: Error) => {
    console.error(`✘ ${err.message}`)
    process.exit(1)
  })
}
