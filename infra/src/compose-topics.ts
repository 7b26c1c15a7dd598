import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { TopicSpec } from '@vitrine/contracts'
import { TOPICS, formatProblems, validateCatalog } from '@vitrine/contracts'
import { adminLoginPreamble } from './compose-security.ts'
import { ROOT } from './settings.ts'
import { effectiveSpec } from './topics.ts'

// compose/topics.sh is generated from the topic catalog, so Docker Compose creates exactly the
// topics `make up` creates: one source of truth (contracts/src/topics.ts), two ways to apply it.
// infra/test/unit/compose-topics.test.ts fails when the committed script is out of date.

export const TOPICS_SCRIPT = join(ROOT, 'compose', 'topics.sh')
export const REGENERATE = 'node_modules/.bin/tsx infra/src/compose-topics.ts'

/** Plain words pass as they are; anything else is single-quoted for the shell. */
function sh (word: string): string {
  return /^[\w.,=:/-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`
}

function createLine (spec: TopicSpec, brokers: number): string {
  const want = effectiveSpec(spec, brokers)
  const configs = Object.entries(want.config).map(([key, value]) => ` --config ${sh(`${key}=${value}`)}`).join('')
  return `  create ${sh(spec.name)} ${want.partitions} ${want.replicationFactor}${configs}`
}

/** A POSIX shell script for the apache/kafka image: kafka-topics.sh --create --if-not-exists for each topic. */
export function topicsScript (catalog: readonly TopicSpec[] = TOPICS): string {
  const problems = validateCatalog(catalog)
  if (problems.length > 0) throw new Error(`the topic catalog is invalid:\n${formatProblems(problems)}`)
  return `#!/bin/sh
# GENERATED from contracts/src/topics.ts by infra/src/compose-topics.ts. Do not edit; regenerate with
#   ${REGENERATE}
# Creates every catalog topic that does not exist yet (run by the topic-init service in compose.yaml).
set -eu
BOOTSTRAP="\${BOOTSTRAP:-kafka:19092}"
BROKERS="\${BROKERS:-1}"
KAFKA_TOPICS="\${KAFKA_TOPICS:-/opt/kafka/bin/kafka-topics.sh}"
${adminLoginPreamble()}

# create <name> <partitions> <replication> [--config key=value ...]
create () {
  name=$1 partitions=$2 replication=$3
  shift 3
  "$KAFKA_TOPICS" --bootstrap-server "$BOOTSTRAP" \${COMMAND_CONFIG:+--command-config "$COMMAND_CONFIG"} --create --if-not-exists \\
    --topic "$name" --partitions "$partitions" --replication-factor "$replication" "$@"
}

if [ "$BROKERS" = 3 ]; then
${catalog.map(spec => createLine(spec, 3)).join('\n')}
else
${catalog.map(spec => createLine(spec, 1)).join('\n')}
fi
echo "catálogo aplicado: ${catalog.length} tópicos"
`
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(TOPICS_SCRIPT, topicsScript(), { mode: 0o755 })
  console.log(`wrote ${TOPICS_SCRIPT}`)
}
