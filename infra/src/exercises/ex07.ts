import { statSync } from 'node:fs'
import { ConfigResourceTypes } from '@platformatic/kafka'
import type { Admin } from '@platformatic/kafka'
import { readTopicNow } from '@vitrine/service-kit'
import { pidFile, sleep } from '../proc.ts'
import { produceOne, recreateTopic } from './lab.ts'
import { hhmmss } from './saga.ts'
import { defineExercise } from './types.ts'
import type { CheckResult, ExerciseContext } from './types.ts'

// Exercise 7: a broker of a 3-broker cluster stops while the student keeps writing with acks=all to
// a topic of replication factor 3 and min.insync.replicas=2; the broker comes back and catches up.
// The setup makes broker 2 the partition's leader and writes a start mark (its leader epoch is the
// start's). The check finds what the student did in the system itself: broker 2's process started
// after the mark (stopped and started again), records appended after the mark and before that
// restart under a newer leader epoch (leadership left broker 2, writes went on), and the ISR full again.

const TOPIC = 'ex07.pagamentos'
const BROKER = 2
const COMPONENT = `kafka-${BROKER}`
const MARK_KEY = 'inicio'

export const ex07Topic = (ctx: Pick<ExerciseContext, 'topicPrefix'>): string => ctx.topicPrefix + TOPIC

async function partition (admin: Admin, topic: string): Promise<{ brokers: number[], leader: number, leaderEpoch: number, replicas: number[], isr: number[] } | undefined> {
  const meta = await admin.metadata({ topics: [topic], forceUpdate: true })
  const p = meta.topics.get(topic)?.partitions[0]
  if (!p) return undefined
  return { brokers: [...meta.brokers.keys()].sort(), leader: p.leader, leaderEpoch: p.leaderEpoch, replicas: [...p.replicas].sort(), isr: [...p.isr].sort() }
}

/** The leader epoch of the batch holding the first record appended at or after `timestamp` (ListOffsets by time). */
async function epochAt (admin: Admin, topic: string, timestamp: number): Promise<number | undefined> {
  const [t] = await admin.listOffsets({ topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp: BigInt(timestamp) }] }] })
  const p = t?.partitions[0]
  return p && p.offset >= 0n ? p.leaderEpoch : undefined
}

export default defineExercise({
  n: 7,
  slug: '07-broker-fora',
  title: 'Um broker fora: acks=all e min.insync.replicas',
  concepts: ['replicacao', 'produtores', 'topicos'],
  requires: { brokers: 3 },
  setup: async (ctx) => {
    // Every broker running: a RESET after the broker was left stopped starts it again.
    const brokers = ctx.plane.names().filter(n => /^kafka-\d+$/.test(n))
    if (brokers.length < 3) throw new Error('o exercício 7 precisa de um cluster de 3 brokers: `make down && make demo BROKERS=3`')
    for (const row of await ctx.plane.status()) {
      if (brokers.includes(row.name) && !row.alive && !row.external) await ctx.plane.act(row.name, 'start')
    }
    const topic = ex07Topic(ctx)
    const admin = ctx.admin()
    try {
      await recreateTopic(admin, topic, {
        // One partition, broker 2 first: the preferred leader, the one the student stops.
        assignments: [{ partition: 0, brokers: [BROKER, 1, 3] }],
        // Broker time on every record: the check compares it with when broker 2 started again.
        configs: [{ name: 'min.insync.replicas', value: '2' }, { name: 'message.timestamp.type', value: 'LogAppendTime' }]
      })
      const deadline = Date.now() + 60_000
      for (;;) {
        const p = await partition(admin, topic).catch(() => undefined)
        if (p?.leader === BROKER && p.isr.length === 3) break
        if (Date.now() > deadline) throw new Error(`o tópico ${topic} não ficou com o broker ${BROKER} líder e 3 réplicas em sincronia em 60 s: ${JSON.stringify(p)}`)
        await sleep(300)
      }
    } finally {
      await admin.close().catch(() => {})
    }
    await produceOne(ctx.brokers, topic, MARK_KEY, Buffer.from('início do exercício 7'), ctx.security)
  },
  check: async (ctx): Promise<CheckResult> => {
    const topic = ex07Topic(ctx)
    const missing: string[] = []
    const seen: string[] = []
    const admin = ctx.admin()
    try {
      const p = await partition(admin, topic)
      if (!p) return { done: false, missing: [`o tópico ${topic} não existe: rode \`make exercicio N=7\` para prepará-lo`], seen }
      const [config] = await admin.describeConfigs({ resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: topic, configurationKeys: ['min.insync.replicas'] }] })
      const minIsr = config?.configs.find(c => c.name === 'min.insync.replicas')?.value
      seen.push(`tópico ${topic}: réplicas ${p.replicas.join(',')}, líder ${p.leader} (época ${p.leaderEpoch}), ISR ${p.isr.join(',')}, min.insync.replicas=${minIsr ?? '?'}`)
      if (p.replicas.length !== 3 || minIsr !== '2') missing.push(`o tópico ${topic} devia ter fator de replicação 3 e min.insync.replicas=2: rode \`make exercicio N=7 RESET=1\``)

      const records = await readTopicNow(ctx.brokers, topic, 5_000, ctx.security)
      const mark = records.find(r => r.key === MARK_KEY)
      if (!mark) return { done: false, missing: [...missing, `o registro de início do exercício sumiu de ${topic}: rode \`make exercicio N=7 RESET=1\``], seen }

      // When broker 2's current process was started (its pid file is written at each start).
      let restartedAt: number | undefined
      try { restartedAt = statSync(pidFile(ctx.plane.settings.stack.stateDir, COMPONENT)).mtimeMs } catch {}
      const up = p.brokers.includes(BROKER) && restartedAt !== undefined
      if (!up) {
        missing.push(`o ${COMPONENT} está parado: depois de escrever com ele fora, suba-o de novo (\`make start S=${COMPONENT}\`)`)
      } else if (restartedAt! <= mark.timestamp) {
        missing.push(`o ${COMPONENT} não foi parado desde o início do exercício (${hhmmss(new Date(mark.timestamp))}): pare-o com \`make stop S=${COMPONENT}\` e continue escrevendo em ${topic}`)
      } else {
        seen.push(`${COMPONENT} iniciado de novo às ${hhmmss(new Date(restartedAt!))} (início do exercício às ${hhmmss(new Date(mark.timestamp))})`)
      }

      // The records appended after the mark and before broker 2 started again; the last of them
      // came while broker 2 was out if its leader epoch is newer than the mark's.
      const during = records.filter(r => r.offset > mark.offset && (restartedAt === undefined || r.timestamp < restartedAt))
      const markEpoch = await epochAt(admin, topic, mark.timestamp)
      const last = during.at(-1)
      const lastEpoch = last ? await epochAt(admin, topic, last.timestamp) : undefined
      if (last && markEpoch !== undefined && lastEpoch !== undefined && lastEpoch > markEpoch) {
        seen.push(`${during.length} registro(s) gravado(s) depois do início e antes da volta do ${COMPONENT}; o último com a época de líder ${lastEpoch} (no início: ${markEpoch}, líder ${BROKER})`)
      } else if (restartedAt !== undefined && restartedAt > mark.timestamp) {
        missing.push(`nenhum registro foi gravado em ${topic} enquanto o ${COMPONENT} estava fora: pare-o, produza com acks=all e só então suba-o de novo`)
      } else {
        missing.push(`grave registros em ${topic} com acks=all enquanto o ${COMPONENT} estiver parado`)
      }

      if (up && p.isr.length < 3) missing.push(`o ${COMPONENT} voltou mas ainda não está no ISR (${p.isr.join(',')}): espere alguns segundos e confira com \`infra/bin/kafka topics --describe\``)
      return { done: missing.length === 0, missing, seen }
    } finally {
      await admin.close().catch(() => {})
    }
  }
})
