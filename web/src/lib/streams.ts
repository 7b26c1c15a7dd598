import { api } from './api.ts'
import type { KpiSnapshot, SqlResult } from './types.ts'

// The Flink jobs' KPIs as the gateway keeps them (GET /api/streams/kpis, pushed as socket.io `kpis`),
// and the SQL page's call (POST /api/streams/sql).

export type { KpiSnapshot, SqlResult }

export async function runSql (statement: string): Promise<SqlResult> {
  return await api<SqlResult>('POST', '/api/streams/sql', { statement })
}

export async function readKpis (): Promise<KpiSnapshot> {
  return await api<KpiSnapshot>('GET', '/api/streams/kpis')
}

/** A row's change kind, as a student reads it: +I a new row, -U/+U an update's before and after, -D a removal. */
export const KIND_LABEL: Record<string, string> = { INSERT: '+I', UPDATE_BEFORE: '-U', UPDATE_AFTER: '+U', DELETE: '-D' }
