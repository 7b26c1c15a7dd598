import pino from 'pino'
import { TopicSerde } from '@vitrine/contracts'
import postgres from 'postgres'
import { EventProducer } from '../kafka/producer.ts'
import { BaseConfig, loadConfig } from '../config.ts'
import { listDeadLetters, replayDeadLetters } from './dlq.ts'
import type { ReplayItem } from './dlq.ts'
import type { Db } from '../db.ts'

// make dlq             → lista a orders.dlq: origem, erro, tentativas, quem desistiu e o valor decodificado
// make dlq-replay      → devolve aos grupos que desistiram o que ainda não foi devolvido (OFFSETS=3,7 ou GROUP=payment
//                        para escolher; DRY_RUN=1 só mostra; FORCE=1 devolve de novo o que já foi devolvido)
const config = loadConfig(BaseConfig)
const brokers = config.KAFKA_BROKERS
const registry = config.SCHEMA_REGISTRY_URL
const prefix = config.TOPIC_PREFIX
const flag = (name: string): boolean => ['1', 'true', 'yes', 'sim'].includes((process.env[name] ?? '').toLowerCase())
const line = (i: ReplayItem): string => `  #${i.offset} (partição ${i.partition}) pedido ${i.key ?? '-'} → grupo ${i.group} (origem ${i.originalTopic}; erro: ${i.error})`

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
    const dryRun = flag('DRY_RUN')
    const sql = postgres(config.DATABASE_URL, { max: 1, onnotice: () => {} }) as unknown as Db
    const producer = dryRun ? null : new EventProducer(brokers, 'dlq-replay', pino({ level: 'warn' }))
    await producer?.connect()
    try {
      const r = await replayDeadLetters(brokers, producer, sql, { prefix, dryRun, force: flag('FORCE'), ...(offsets ? { offsets } : {}), ...(process.env.GROUP ? { group: process.env.GROUP } : {}) })
      if (dryRun) {
        console.log(`DRY_RUN=1: nada foi enviado. Seriam devolvida(s) ${r.sent.length} mensagem(ns) via ${prefix}orders.retry.5s:`)
        for (const i of r.sent) console.log(line(i))
      } else {
        console.log(`${r.sent.length} mensagem(ns) devolvida(s) via ${prefix}orders.retry.5s aos grupos de origem.`)
        for (const i of r.sent) console.log(line(i))
      }
      if (r.alreadyReplayed.length > 0) console.log(`${r.alreadyReplayed.length} já devolvida(s) antes (não reenviadas; FORCE=1 OFFSETS=... para reenviar): #${r.alreadyReplayed.map(i => i.offset).join(', #')}`)
      if (r.notReplayable.length > 0) console.log(`${r.notReplayable.length} vinda(s) do outbox (o relay não conseguiu publicar): corrija a linha na tabela outbox do serviço e limpe failed_at; não são devolvidas daqui: #${r.notReplayable.map(i => i.offset).join(', #')}`)
    } finally {
      await producer?.close()
      await sql.end({ timeout: 5 })
    }
    return
  }
  throw new Error('usage: dlq-cli.ts list|replay')
}

main().catch(err => {
  console.error(err instanceof Error ? err.message : String(err))
  process.exit(1)
})
