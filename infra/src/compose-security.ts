import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { AclOperation, AclRule } from './security/acls.ts'
import { ADMIN_PRINCIPAL, CONTROLLER_PRINCIPAL, REGISTRY_PRINCIPAL, REGISTRY_TOPICS, deriveAcls, scramPrincipals } from './security/acls.ts'
import { SCRAM_MECHANISM, brokerSecurityLines } from './security/kafka-auth.ts'
import { ROOT } from './settings.ts'

// compose/ runs Kafka as `make up` does (KAFKA_AUTH=scram): SASL/SCRAM-SHA-512 for every client, PLAIN
// with its own user on the controller listener, StandardAuthorizer, and one principal per service with
// the ACLs of infra/src/security/acls.ts. Two scripts carry that into the official images, generated
// here from the same code, so Compose and the local stack cannot drift apart
// (infra/test/unit/compose-security.test.ts fails when a committed script is out of date):
// - compose/kafka-start.sh, every Kafka container's entrypoint: the broker's SASL settings as the
//   image's KAFKA_* variables, and the storage formatted with every SCRAM user (the image's own start
//   formats without them: it has no --add-scram), then the image's own start;
// - compose/acls.sh, run once by acl-init as the admin: the SCRAM users a volume formatted earlier lacks
//   (kafka-configs), then `kafka-acls --add` for every derived ACL.
// The passwords are in compose/.env (git-ignored, 600), written by infra/src/compose-secrets.ts.

export const KAFKA_START_SCRIPT = join(ROOT, 'compose', 'kafka-start.sh')
export const ACLS_SCRIPT = join(ROOT, 'compose', 'acls.sh')
export const REGENERATE_SECURITY = 'node_modules/.bin/tsx infra/src/compose-security.ts'
export const SECRETS_COMMAND = 'node_modules/.bin/tsx infra/src/compose-secrets.ts'

/** compose's listeners for clients: INTERNAL (kafka:19092, the containers) and HOST (localhost:9092). */
export const COMPOSE_CLIENT_LISTENERS = ['INTERNAL', 'HOST']

/** Every user compose/.env holds a password for: the SCRAM users and the controller listener's PLAIN user. */
export function composePrincipals (): string[] {
  return [...scramPrincipals(), CONTROLLER_PRINCIPAL]
}

/** The variable of compose/.env with a principal's password: checkout-api → VITRINE_KAFKA_PASSWORD_CHECKOUT_API. */
export function passwordVar (principal: string): string {
  return `VITRINE_KAFKA_PASSWORD_${principal.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`
}

/**
 * compose's registry is Confluent's image, not Apicurio: it keeps schemas in `_schemas` and joins the
 * group `schema-registry` (leader election) and `schema-registry-<host>-<port>` (its reader). The registry
 * principal gets those besides Apicurio's, and every DENY the gateway has on Apicurio's storage topics
 * (deleting them, reading them) holds on `_schemas` too. The only ACLs compose adds to deriveAcls().
 */
export const CONFLUENT_REGISTRY_TOPIC = '_schemas'
export function confluentRegistryAcls (): AclRule[] {
  const ops: AclOperation[] = ['READ', 'WRITE', 'DESCRIBE', 'CREATE', 'DESCRIBE_CONFIGS']
  const storage = REGISTRY_TOPICS as readonly string[]
  const denied = [...new Set(deriveAcls().filter(r => r.principal !== REGISTRY_PRINCIPAL && r.permission === 'DENY' && r.resource === 'TOPIC' && storage.includes(r.name)).map(r => `${r.principal}|${r.operation}`))]
  return [
    ...ops.map(operation => ({ principal: REGISTRY_PRINCIPAL, resource: 'TOPIC' as const, name: CONFLUENT_REGISTRY_TOPIC, pattern: 'LITERAL' as const, operation, permission: 'ALLOW' as const, why: 'armazenamento do Schema Registry da Confluent (compose)' })),
    ...(['READ', 'DESCRIBE'] as const).map(operation => ({ principal: REGISTRY_PRINCIPAL, resource: 'GROUP' as const, name: 'schema-registry', pattern: 'PREFIXED' as const, operation, permission: 'ALLOW' as const, why: 'grupos do Schema Registry da Confluent (compose)' })),
    ...denied.map(k => {
      const [principal, operation] = k.split('|') as [string, AclOperation]
      return { principal, resource: 'TOPIC' as const, name: CONFLUENT_REGISTRY_TOPIC, pattern: 'LITERAL' as const, operation, permission: 'DENY' as const, why: 'o armazenamento do registry (Confluent, compose) é só dele' }
    })
  ]
}

/** What acl-init grants: the catalog's ACLs (the local stack's) plus the Confluent registry's. */
export function composeAcls (): AclRule[] {
  return [...deriveAcls(), ...confluentRegistryAcls()]
}

/** Plain words pass as they are; anything else is single-quoted for the shell. */
function sh (word: string): string {
  return /^[\w.,=:/@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`
}

/** A value for a double-quoted shell string in which `${VAR}` placeholders stay live. */
function dq (value: string, vars: Record<string, string>): string {
  let out = value.replace(/[\\"$`]/g, c => '\\' + c)
  for (const [token, name] of Object.entries(vars)) out = out.split(token).join('${' + name + '}')
  return `"${out}"`
}

/** The apache/kafka image's variable for a server property (its KafkaDockerWrapper maps back: `_`→`.`, `__`→`_`, `___`→`-`). */
export function kafkaEnvName (property: string): string {
  return 'KAFKA_' + property.replace(/_/g, '__').replace(/-/g, '___').replace(/\./g, '_').toUpperCase()
}

/** Placeholders the generated scripts turn into `${VITRINE_KAFKA_PASSWORD_…}`. */
function placeholders (): { credentials: Record<string, string>, vars: Record<string, string> } {
  const credentials: Record<string, string> = {}
  const vars: Record<string, string> = {}
  for (const p of composePrincipals()) {
    credentials[p] = `@@${p}@@`
    vars[`@@${p}@@`] = passwordVar(p)
  }
  return { credentials, vars }
}

/** The broker's security settings as the image's variables: brokerSecurityLines, the local server.properties' own. */
export function composeBrokerSecurity (): Array<[name: string, property: string, value: string]> {
  const { credentials } = placeholders()
  const security = brokerSecurityLines('scram', credentials, COMPOSE_CLIENT_LISTENERS)
  const lines = [`listener.security.protocol.map=${security.protocols.join(',')}`, ...security.lines]
  return lines.map(l => {
    const property = l.slice(0, l.indexOf('='))
    return [kafkaEnvName(property), property, l.slice(l.indexOf('=') + 1)]
  })
}

/**
 * Shell lines that write a Kafka client's login file for `user` (its password from compose/.env's
 * variable) to `target`: SCRAM on the client listeners, PLAIN on the controller's.
 */
function loginFile (user: string, mechanism: typeof SCRAM_MECHANISM | 'PLAIN', target: string, indent = ''): string {
  const module = mechanism === 'PLAIN' ? 'org.apache.kafka.common.security.plain.PlainLoginModule' : 'org.apache.kafka.common.security.scram.ScramLoginModule'
  const jaas = `${module} required username=\\"${user}\\" password=\\"$${passwordVar(user)}\\";`
  return `${indent}printf '%s\\n' 'security.protocol=SASL_PLAINTEXT' 'sasl.mechanism=${mechanism}' \\
${indent}  "sasl.jaas.config=${jaas}" > ${target}`
}

/**
 * A POSIX shell fragment: Kafka's tools log in as the admin when compose passes its password
 * (COMMAND_CONFIG). The one preamble of the admin's scripts: acls.sh here, topics.sh (compose-topics.ts).
 */
export function adminLoginPreamble (): string {
  return `# With compose's SASL (the admin's password from compose/.env) Kafka's tools log in as the admin.
COMMAND_CONFIG="\${COMMAND_CONFIG:-}"
if [ -z "$COMMAND_CONFIG" ] && [ -n "\${${passwordVar(ADMIN_PRINCIPAL)}:-}" ]; then
  COMMAND_CONFIG=$(mktemp)
  chmod 600 "$COMMAND_CONFIG"
${loginFile(ADMIN_PRINCIPAL, SCRAM_MECHANISM, '"$COMMAND_CONFIG"', '  ')}
fi`
}

/** The entrypoint of every apache/kafka container in compose.yaml and compose.3-brokers.yaml. */
export function kafkaStartScript (): string {
  const { vars } = placeholders()
  const users = scramPrincipals()
  const needed = composePrincipals().map(passwordVar)
  const exports = composeBrokerSecurity().map(([name, , value]) => `export ${name}=${dq(value, vars)}`)
  const scram = users.map(u => `  --add-scram "${SCRAM_MECHANISM}=[name=${u},password=\${${passwordVar(u)}}]"`).join(' \\\n')
  return `#!/bin/bash
# GENERATED from infra/src/security (acls.ts, kafka-auth.ts) by infra/src/compose-security.ts. Do not edit;
# regenerate with
#   ${REGENERATE_SECURITY}
# The entrypoint of every Kafka container of compose/: the security of \`make up\` (KAFKA_AUTH=scram). The
# image's own start formats the storage without SCRAM users (it has no --add-scram), so this script formats
# it first, with every user, then hands over to the image's start, which finds it formatted.
set -euo pipefail

missing=''
for v in ${needed.join(' ')}; do
  [ -n "\${!v:-}" ] || missing="$missing $v"
done
if [ -n "$missing" ]; then
  echo "Faltam senhas do Kafka em compose/.env:$missing. Na raiz do repositório rode: ${SECRETS_COMMAND}" >&2
  exit 1
fi

# SASL/SCRAM-SHA-512 on the client listeners, PLAIN with its own user on the controller listener,
# StandardAuthorizer with no default allow (infra/src/security/kafka-auth.ts brokerSecurityLines).
${exports.join('\n')}

# Logins for the healthchecks (this container's user only).
(
umask 077
${loginFile(ADMIN_PRINCIPAL, SCRAM_MECHANISM, '/tmp/vitrine-admin.properties')}
${loginFile(CONTROLLER_PRINCIPAL, 'PLAIN', '/tmp/vitrine-controller.properties')}
)

data="\${KAFKA_LOG_DIRS:-/var/lib/kafka/data}"
marker="$data/vitrine-scram-users"
users='${users.join(' ')}'
if [ -s "$data/meta.properties" ]; then
  if [ ! -f "$marker" ]; then
    echo "O volume de dados do Kafka ($data) foi formatado sem usuários SCRAM (por uma versão anterior do compose/). Recomece do zero: docker compose down -v (tópicos e mensagens do Docker recomeçam)." >&2
    exit 1
  fi
  # A user the catalog gained since is made by acl-init (acls.sh), with compose/.env's password.
else
  # server.properties from the KAFKA_* variables, by the image's own generator (it also formats the
  # scratch log dir given here), then the real log dir formatted with every SCRAM user. Without
  # KAFKA_OPTS: the JMX exporter is the broker's alone.
  scratch=$(mktemp -d)
  if ! out=$(KAFKA_OPTS='' KAFKA_LOG_DIRS="$scratch" /opt/kafka/bin/kafka-run-class.sh kafka.docker.KafkaDockerWrapper setup \\
      --default-configs-dir /etc/kafka/docker --mounted-configs-dir /mnt/shared/config --final-configs-dir /opt/kafka/config 2>&1); then
    echo "$out" >&2
    exit 1
  fi
  sed "s|^log.dirs=.*|log.dirs=$data|" /opt/kafka/config/server.properties > "$scratch/format.properties"
  KAFKA_OPTS='' /opt/kafka/bin/kafka-storage.sh format --cluster-id "$CLUSTER_ID" --config "$scratch/format.properties" \\
${scram}
  rm -rf "$scratch"
  printf '%s\\n' $users > "$marker"
fi

exec /etc/kafka/docker/run
`
}

/** kafka-acls names operations in PascalCase: DESCRIBE_CONFIGS → DescribeConfigs. */
const pascal = (op: AclOperation): string => op.toLowerCase().replace(/(^|_)([a-z])/g, (_, __: string, c: string) => c.toUpperCase())

/**
 * `kafka-acls --add` arguments, few JVM starts: the entries of one resource type, pattern and permission
 * with the same operations share a line, and principals with the very same line share it too.
 */
function aclCommands (rules: readonly AclRule[]): string[] {
  const opsOf = new Map<string, AclOperation[]>()
  for (const r of rules) {
    const k = [r.principal, r.permission, r.pattern, r.resource, r.name].join('|')
    opsOf.set(k, [...(opsOf.get(k) ?? []), r.operation])
  }
  const namesOf = new Map<string, string[]>()
  for (const [k, ops] of opsOf) {
    const [principal, permission, pattern, resource, name] = k.split('|') as [string, string, string, string, string]
    const g = [principal, permission, pattern, resource, [...ops].sort().join(',')].join('|')
    namesOf.set(g, [...(namesOf.get(g) ?? []), name])
  }
  const principalsOf = new Map<string, string[]>()
  for (const [g, names] of namesOf) {
    const [principal, ...rest] = g.split('|')
    const line = [...rest, names.join('\n')].join('|')
    principalsOf.set(line, [...(principalsOf.get(line) ?? []), principal!])
  }
  const flag: Record<AclRule['resource'], string> = { TOPIC: '--topic', GROUP: '--group', TRANSACTIONAL_ID: '--transactional-id', CLUSTER: '--cluster' }
  return [...principalsOf].map(([line, principals]) => {
    const [permission, pattern, resource, ops, names] = line.split('|') as [AclRule['permission'], AclRule['pattern'], AclRule['resource'], string, string]
    const who = principals.flatMap(p => [permission === 'ALLOW' ? '--allow-principal' : '--deny-principal', `User:${p}`])
    const resources = resource === 'CLUSTER' ? ['--cluster'] : names.split('\n').flatMap(n => [flag[resource], sh(n)])
    return ['acl', ...who, '--resource-pattern-type', pattern, ...ops.split(',').flatMap(o => ['--operation', pascal(o as AclOperation)]), ...resources].join(' ')
  })
}

/**
 * The script acl-init runs, as the admin: the SCRAM users the cluster lacks (a principal the catalog gained
 * after the volume was formatted; `make up` does the same, security/scram-users.ts), then every ACL of
 * composeAcls() (adding one that exists changes nothing).
 */
export function aclsScript (rules: readonly AclRule[] = composeAcls(), users: readonly string[] = scramPrincipals()): string {
  const commands = aclCommands(rules)
  return `#!/bin/sh
# GENERATED from infra/src/security/acls.ts by infra/src/compose-security.ts. Do not edit; regenerate with
#   ${REGENERATE_SECURITY}
# Makes the SCRAM users the cluster lacks and grants each principal the ACLs of the catalog (and the
# Confluent registry's, compose-security.ts), as \`make up\` does (run by the acl-init service in
# compose.yaml). It only adds: an ACL granted by hand for a drill stays until kafka-acls --remove.
set -eu
BOOTSTRAP="\${BOOTSTRAP:-kafka:19092}"
KAFKA_ACLS="\${KAFKA_ACLS:-/opt/kafka/bin/kafka-acls.sh}"
KAFKA_CONFIGS="\${KAFKA_CONFIGS:-/opt/kafka/bin/kafka-configs.sh}"
${adminLoginPreamble()}
failed=0

# A user the cluster has is left as it is; a missing one is made with compose/.env's password.
have=$("$KAFKA_CONFIGS" --bootstrap-server "$BOOTSTRAP" \${COMMAND_CONFIG:+--command-config "$COMMAND_CONFIG"} --describe --entity-type users)
user () {
  case "$have" in
    *"user-principal '$1' "*) return 0 ;;
  esac
  if [ -z "$2" ]; then
    echo "O usuário SCRAM $1 não existe no Kafka e compose/.env não tem a senha dele: rode ${SECRETS_COMMAND} na raiz do repositório." >&2
    failed=1
    return 0
  fi
  "$KAFKA_CONFIGS" --bootstrap-server "$BOOTSTRAP" \${COMMAND_CONFIG:+--command-config "$COMMAND_CONFIG"} --alter \\
    --add-config "${SCRAM_MECHANISM}=[password=$2]" --entity-type users --entity-name "$1" > /dev/null || failed=1
  echo "usuário SCRAM criado: $1"
}
${users.map(u => `user ${u} "\${${passwordVar(u)}:-}"`).join('\n')}

# Four at a time: each line is a JVM start.
pids=''
acl () {
  "$KAFKA_ACLS" --bootstrap-server "$BOOTSTRAP" \${COMMAND_CONFIG:+--command-config "$COMMAND_CONFIG"} --add "$@" > /dev/null &
  pids="$pids $!"
  set -- $pids
  if [ $# -ge 4 ]; then drain; fi
}
drain () {
  for p in $pids; do wait "$p" || failed=1; done
  pids=''
}

${commands.join('\n')}
drain
if [ "$failed" != 0 ]; then
  echo "kafka-configs ou kafka-acls falhou (veja acima): os usuários e as ACLs do catálogo não estão todos no broker" >&2
  exit 1
fi
echo "ACLs aplicadas: ${rules.length} regras para ${new Set(rules.map(r => r.principal)).size} principals"
`
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(KAFKA_START_SCRIPT, kafkaStartScript(), { mode: 0o755 })
  writeFileSync(ACLS_SCRIPT, aclsScript(), { mode: 0o755 })
  console.log(`wrote ${KAFKA_START_SCRIPT} and ${ACLS_SCRIPT}`)
}
