import { createHash } from 'node:crypto'
import { readFileSync, readdirSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import postgres from 'postgres'
import type { PendingQuery, Row, Sql, TransactionSql } from 'postgres'
import { ShopError } from './errors.ts'

export type Db = Sql<Record<string, unknown>>
export type Tx = TransactionSql<Record<string, unknown>>

const KIT_MIGRATIONS = fileURLToPath(new URL('../migrations/', import.meta.url))

/** A pool whose search_path is the service's own schema: each service owns its tables. */
export function connect (url: string, schema: string, max = 10): Db {
  return postgres(url, {
    max,
    connection: { search_path: schema, application_name: schema },
    onnotice: () => {},
    // int8 columns (bigserial ids, offsets, cents) come back as JS numbers; our values stay below 2^53.
    types: { int8: { to: 20, from: [20], serialize: (x: unknown) => String(x), parse: (x: string) => Number(x) } },
    transform: { undefined: null }
  }) as unknown as Db
}

function files (dir: string, prefix: string): Array<{ name: string, sql: string, checksum: string }> {
  if (!existsSync(dir)) return []
  return readdirSync(dir).filter(f => f.endsWith('.sql')).sort().map(f => {
    const sql = readFileSync(join(dir, f), 'utf8')
    return { name: `${prefix}${f}`, sql, checksum: createHash('sha256').update(sql).digest('hex') }
  })
}

export class MigrationChangedError extends ShopError {
  constructor (name: string) {
    super('SHOP_ERR_MIGRATION_CHANGED', `migration ${name} changed after it was applied; add a new migration file instead of editing an applied one`, 500, { migration: name })
  }
}

/**
 * Applies the kit's and the service's versioned SQL files once each, in order, inside one
 * transaction under an advisory lock. A file whose content changed after being applied stops the start.
 */
export async function migrate (sql: Db, schema: string, serviceDir: string | undefined): Promise<string[]> {
  const all = [...files(KIT_MIGRATIONS, 'kit/'), ...(serviceDir ? files(serviceDir, '') : [])]
  const applied: string[] = []
  await sql.begin(async tx => {
    await tx`select pg_advisory_xact_lock(hashtext(${schema}))`
    await tx.unsafe(`create schema if not exists "${schema}"`)
    await tx.unsafe(`set local search_path to "${schema}"`)
    await tx`create table if not exists schema_migrations (name text primary key, checksum text not null, applied_at timestamptz not null default now())`
    const done = new Map((await tx`select name, checksum from schema_migrations`).map(r => [r.name as string, r.checksum as string]))
    for (const m of all) {
      const previous = done.get(m.name)
      if (previous !== undefined) {
        if (previous !== m.checksum) throw new MigrationChangedError(m.name)
        continue
      }
      await tx.unsafe(m.sql)
      await tx`insert into schema_migrations (name, checksum) values (${m.name}, ${m.checksum})`
      applied.push(m.name)
    }
  })
  return applied
}

/**
 * firstDelivery and the read of the row the event is about (`row`, a select such as `… for update`)
 * in one round trip: the dedup insert runs as a CTE beside it. `row` is undefined when the select
 * finds none; when `first` is false the caller applies nothing (the row lock it took is released
 * at the end of the transaction, as for any reader). `key` names a not-null column of the row.
 */
export async function firstDeliveryWith<R extends Row> (tx: Tx, eventId: string, topic: string, row: PendingQuery<R[]>, key: keyof R & string): Promise<{ first: boolean, row: R | undefined }> {
  const [r] = await tx<Array<R & { first_delivery: boolean }>>`with first as (insert into processed_events (event_id, topic) values (${eventId}, ${topic}) on conflict do nothing returning 1)
    select exists (select 1 from first) as first_delivery, x.* from (values (1)) as one left join lateral (${row}) as x on true`
  const { first_delivery: first, ...rest } = r! as { first_delivery: boolean } & Record<string, unknown>
  return { first, row: rest[key] === null ? undefined : rest as R }
}

/** Records an event id; false means it was seen before and its effect must not be applied again. */
export async function firstDelivery (tx: Tx, eventId: string, topic: string): Promise<boolean> {
  const rows = await tx`insert into processed_events (event_id, topic) values (${eventId}, ${topic}) on conflict do nothing returning event_id`
  return rows.length === 1
}
