import pino from 'pino'
import { TopicSerde } from '@vitrine/contracts'
import { EventProducer } from '../kafka/producer.ts'
import { listDeadLetters, replayDeadLetters } from './dlq.ts'

// make dlq             → lista a orders.dlq: origem, erro, tentativas, quem desistiu e o valor decodificado
// make dlq-replay      → devolve tudo aos grupos que desistiram (OFFSETS=3,7 ou GROUP=payment para escolher)
const brokers = process.env.KAFKA_BROKERS ?? 'localhost:9092'
const registry = process.env.SCHEMA_REGISTRY_URL ?? 'http://localhost:8081'
const prefix = process.env.TOPIC_PREFIX ?? ''

async function main (): Promise<void> {
  const command = process.argv[2] ?? 'list'
  if (command === 'list') {
    const letters = await listDeadLetters(brokers, new TopicSerde(registry, prefix), prefix)
    if (letters.length === 0) {
      console.log('A orders.dlq está vazia.')
      return
    }
    for (const d of letters) {
      console.log(`#${d.offset} (partição ${d.partition}, ${d.at}) pedido ${d.key ?? '-'}
  origem:     ${d.originalTopic} partição ${d.originalPartition} offset ${d.originalOffset}
  desistiu:   ${d.failedBy} após ${d.attempts} tentativa(s)
  erro:       ${d.error}
  valor:      ${JSON.stringify(d.value)}`)
    }
    console.log(`\n${letters.length} mensagem(ns). Corrigida a causa, \`make dlq-replay\` (ou OFFSETS=... / GROUP=...) devolve ao grupo.`)
    return
  }
  if (command === 'replay') {
    const offsets = process.env.OFFSETS ? process.env.OFFSETS.split(',').map(s => Number(s.trim())) : undefined
    if (offsets?.some(o => !Number.isInteger(o) || o < 0)) throw new Error(`OFFSETS must be a comma-separated list of offsets, got "${process.env.OFFSETS}"`)
    const producer = new EventProducer(brokers, 'dlq-replay', pino({ level: 'warn' }))
    await producer.connect()
    try {
      const n = await replayDeadLetters(brokers, producer, { prefix, ...(offsets ? { offsets } : {}), ...(process.env.GROUP ? { group: process.env.GROUP } : {}) })
      console.log(`${n} mensagem(ns) devolvida(s) via ${prefix}orders.retry.5s aos grupos de origem.`)
    } finally {
      await producer.close()
    }
    return
  }
  throw new Error('usage: dlq-cli.ts list|replay')
}

main().catch(err => {
  console.error(err instanceof Error ? err.message : String(err))
  process.exit(1)
})
