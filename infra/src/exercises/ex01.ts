import { readTopicNow } from '@vitrine/service-kit'
import type { StoredRecord } from '@vitrine/service-kit'
import { recreateTopic } from './lab.ts'
import { committedOffsets, deleteGroupIfPresent, waitForTopic, partitionCount } from './offsets.ts'
import { defineExercise } from './types.ts'
import type { CheckResult, ExerciseContext } from './types.ts'

// Exercise 1: produce and consume by hand with Kafka's console tools. The setup gives an empty topic
// of 3 partitions and no group. The check reads the system: a record with a key, the group
// ex01-leitor's committed offsets past it, and an answer record (key `resposta`, value
// `<partição>:<offset>`) naming where one of the student's keyed records landed — which only someone
// who found it (console-consumer --property print.partition=true ...) can write.

const TOPIC = 'ex01.mensagens'
const GROUP = 'ex01-leitor'
const ANSWER_KEY = 'resposta'
const PARTITIONS = 3

export const ex01Names = (ctx: Pick<ExerciseContext, 'topicPrefix' | 'groupSuffix'>): { topic: string, group: string } =>
  ({ topic: ctx.topicPrefix + TOPIC, group: GROUP + ctx.groupSuffix })

const where = (r: StoredRecord): string => `chave "${r.key}" → partição ${r.partition}, offset ${r.offset}`

export default defineExercise({
  n: 1,
  slug: '01-produzir-e-consumir',
  title: 'Produzir e consumir à mão, com chave',
  concepts: ['produtores', 'consumidores', 'topicos', 'particoes', 'grupos-de-consumidores'],
  setup: async (ctx) => {
    const { topic, group } = ex01Names(ctx)
    const admin = ctx.admin()
    try {
      await deleteGroupIfPresent(admin, group)
      await recreateTopic(admin, topic, { partitions: PARTITIONS, replicas: 1 })
      await waitForTopic(admin, topic)
    } finally {
      await admin.close().catch(() => {})
    }
  },
  check: async (ctx): Promise<CheckResult> => {
    const { topic, group } = ex01Names(ctx)
    const admin = ctx.admin()
    try {
      if (await partitionCount(admin, topic) === undefined) {
        return { done: false, missing: [`o tópico ${TOPIC} não existe: rode make exercicio N=1 RESET=1 para recriá-lo`] }
      }
      const records = await readTopicNow(ctx.brokers, topic, 10_000, ctx.security)
      const keyed = records.filter(r => r.key !== null && r.key !== '' && r.key !== ANSWER_KEY)
      const missing: string[] = []
      const seen = keyed.slice(0, 5).map(where)
      if (keyed.length === 0) {
        const loose = records.filter(r => r.key === null || r.key === '').length
        missing.push(`produza pelo menos uma mensagem COM CHAVE em ${TOPIC} (console-producer com --property parse.key=true --property key.separator=:)` +
          (loose > 0 ? `; há ${loose} mensagem(ns) sem chave, que não contam` : ''))
      }

      const committed = await committedOffsets(admin, group, topic)
      for (const [p, o] of committed) seen.push(`grupo ${GROUP}: offset confirmado ${o} na partição ${p}`)
      if (keyed.length > 0 && !keyed.some(r => (committed.get(r.partition) ?? -1) > r.offset)) {
        missing.push(committed.size === 0
          ? `leia o tópico com o consumer group ${GROUP} (console-consumer --group ${GROUP} --from-beginning): o grupo ainda não confirmou nenhum offset`
          : `o grupo ${GROUP} ainda não confirmou offsets depois das suas mensagens com chave: leia-as com ele até o fim (console-consumer --group ${GROUP})`)
      }

      const answers = records.filter(r => r.key === ANSWER_KEY)
      const right = answers.find(a => {
        const m = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(a.value?.toString('utf8') ?? '')
        return m !== null && keyed.some(r => r.partition === Number(m[1]) && r.offset === Number(m[2]))
      })
      if (right === undefined) {
        missing.push(answers.length === 0
          ? `descubra a partição e o offset de uma das suas mensagens com chave e produza a resposta em ${TOPIC}: chave "${ANSWER_KEY}", valor "<partição>:<offset>" (ex.: ${ANSWER_KEY}:2:0)`
          : `a resposta ("${answers.map(a => a.value?.toString('utf8') ?? '').join('", "')}") não aponta para nenhuma mensagem sua com chave: o valor é "<partição>:<offset>" de uma delas (console-consumer com --property print.partition=true --property print.offset=true)`)
      } else {
        seen.push(`resposta "${right.value?.toString('utf8').trim()}" confere`)
      }
      return { done: missing.length === 0, missing, seen }
    } finally {
      await admin.close().catch(() => {})
    }
  }
})
