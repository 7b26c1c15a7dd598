import postgres from 'postgres'
import type { Admin } from '@platformatic/kafka'
import { TOPICS, topicsReadBy } from '@vitrine/contracts'
import type { ServiceName } from '@vitrine/contracts'
import { sleep } from '@vitrine/service-kit/time'
import { groupLag } from '../bench/load.ts'

// What `make reset` does to the data: the shop's tables emptied (orders, payments, reservations,
// notifications, sagas, outbox, processed events, and whatever a later lab adds to these schemas),
// stock back to each product's first delivery (the seed), and the shop's consumer groups moved to
// the end of their topics so nothing old is processed again. The services must be stopped first.

/** Each service's database schema (plus the shop's DB_SCHEMA_SUFFIX). */
export const SHOP_SCHEMAS: Readonly<Record<string, string>> = { 'checkout-api': 'checkout', payment: 'payment', inventory: 'inventory', notification: 'notification', orchestrator: 'orchestrator' }

/**
 * Tables a reset keeps: the migration ledger, and the product catalog (inventory's products and
 * checkout-api's replica of products.catalog). The catalog is the shop's configuration, already
 * published on a compacted topic; emptying one side would leave the other pricing from a ghost.
 * checkout-api's customers (and their tiers) too: configuration as well, captured by Debezium.
 */
const KEEP = new Set(['schema_migrations', 'products', 'catalog_products', 'customers'])

export interface TableReset { schema: string, table: string, rows: number }
export interface StockReset { productId: string, stock: number }

/** Topics whose records are state, not events (compacted): a reader replays them to rebuild, so offsets stay. */
export function isStateTopic (name: string): boolean {
  return (TOPICS.find(t => t.name === name)?.config as Record<string, string> | undefined)?.['cleanup.policy']?.includes('compact') === true
}

const q = (name: string): string => `"${name.replace(/"/g, '""')}"`

export async function resetDatabase (databaseUrl: string, schemaSuffix: string): Promise<{ tables: TableReset[], stock: StockReset[] }> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} })
  try {
    return await sql.begin(async tx => {
      const schemas = Object.values(SHOP_SCHEMAS).map(s => s + schemaSuffix)
      const found = await tx<Array<{ schema: string, table: string }>>`select table_schema as schema, table_name as table from information_schema.tables
        where table_schema = any(${schemas}) and table_type = 'BASE TABLE' order by 1, 2`
      const inventory = 'inventory' + schemaSuffix
      const hasLedger = found.some(t => t.schema === inventory && t.table === 'stock_movements')
      // The seed is each product's first delivery: the migration's initial stock, or the stock a
      // product was created with. Read it from the ledger before the ledger is emptied.
      const seed = hasLedger
        ? await tx.unsafe<Array<{ product_id: string, quantity: number }>>(`select distinct on (product_id) product_id, quantity from ${q(inventory)}.stock_movements
            where movement_type = 'restock' order by product_id, id`)
        : []
      const tables: TableReset[] = []
      for (const t of found.filter(t => !KEEP.has(t.table))) {
        const [row] = await tx.unsafe<Array<{ n: number }>>(`select count(*)::int as n from ${q(t.schema)}.${q(t.table)}`)
        tables.push({ schema: t.schema, table: t.table, rows: row?.n ?? 0 })
      }
      if (tables.length > 0) await tx.unsafe(`truncate ${tables.map(t => `${q(t.schema)}.${q(t.table)}`).join(', ')} restart identity`)
      const stock: StockReset[] = []
      if (hasLedger) {
        await tx.unsafe(`update ${q(inventory)}.products set reserved_quantity = 0, stock_quantity = 0`)
        for (const s of seed) {
          // The ledger starts again with the seed as a delivery, so stock = sum(restock) - sum(confirm) still holds.
          await tx.unsafe(`insert into ${q(inventory)}.stock_movements (product_id, movement_type, quantity) values ($1, 'restock', $2)`, [s.product_id, s.quantity])
          await tx.unsafe(`update ${q(inventory)}.products set stock_quantity = $2 where id = $1`, [s.product_id, s.quantity])
          stock.push({ productId: s.product_id, stock: Number(s.quantity) })
        }
      }
      return { tables, stock }
    })
  } finally {
    await sql.end({ timeout: 5 })
  }
}

export interface GroupReset { group: string, topics: string[], partitions: number, skipped: number, lag: number }

/** The topics a service's group reads: from the catalog, plus any other it has committed offsets on. */
async function groupTopics (admin: Admin, service: string, group: string, prefix: string): Promise<string[]> {
  const existing = new Set(await admin.listTopics({ includeInternals: false }))
  const fromCatalog = topicsReadBy(service as ServiceName).filter(t => !isStateTopic(t.name)).map(t => prefix + t.name)
  const [committed] = await admin.listConsumerGroupOffsets({ groups: [group] })
  const other = (committed?.topics ?? []).map(t => t.name).filter(n => n.startsWith(prefix) && !isStateTopic(n.slice(prefix.length)))
  return [...new Set([...fromCatalog, ...other])].filter(n => existing.has(n)).sort()
}

/**
 * Sets each group's committed offset to the end of every partition of every event topic it reads
 * (partitions it never committed on too: with auto.offset.reset=earliest they would be read from
 * the start). A group must have no members; one whose crashed member has not timed out yet is
 * retried until the broker lets it go.
 */
export async function moveGroupsToEnd (admin: Admin, services: readonly string[], prefix: string, groupSuffix: string, timeoutMs = 45_000): Promise<GroupReset[]> {
  const out: GroupReset[] = []
  for (const service of services) {
    const group = service + groupSuffix
    const topics = await groupTopics(admin, service, group, prefix)
    if (topics.length === 0) continue
    const before = (await groupLag(admin, [{ group, topics }]))[group] ?? 0
    const meta = await admin.metadata({ topics })
    const request = topics.map(name => ({ name, partitions: Array.from({ length: meta.topics.get(name)?.partitionsCount ?? 0 }, (_, partitionIndex) => ({ partitionIndex, timestamp: -1n })) }))
    const ends = await admin.listOffsets({ topics: request })
    const deadline = Date.now() + timeoutMs
    for (;;) {
      try {
        await admin.alterConsumerGroupOffsets({ groupId: group, topics: ends.map(t => ({ name: t.name, partitionOffsets: t.partitions.map(p => ({ partition: p.partitionIndex, offset: p.offset })) })) })
        break
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`could not move the offsets of group ${group}: ${(err as Error).message}`, { cause: err })
        await sleep(1000)
      }
    }
    const lag = (await groupLag(admin, [{ group, topics }]))[group] ?? 0
    out.push({ group, topics, partitions: ends.reduce((n, t) => n + t.partitions.length, 0), skipped: before, lag })
  }
  return out
}
