// A small client of Flink's SQL Gateway REST API (v1+): sessions, statements, paged results.
// https://nightlies.apache.org/flink/flink-docs-release-2.2/docs/dev/table/sql-gateway/rest/

export interface Column { name: string, logicalType?: { type?: string, nullable?: boolean } }
export interface ResultRow { kind: string, fields: unknown[] }
interface FetchBody {
  resultType: 'NOT_READY' | 'PAYLOAD' | 'EOS'
  isQueryResult?: boolean
  jobID?: string
  resultKind?: string
  results?: { columns?: Column[], data?: ResultRow[] }
  nextResultUri?: string
}

export interface StatementResult {
  columns: Column[]
  rows: ResultRow[]
  /** The Flink job a statement started (an INSERT, or a streaming SELECT), if any. */
  jobId: string | null
  /** The result went on past the row or time limit and was cut there. */
  truncated: boolean
}

export class SqlGatewayError extends Error {
  code = 'SHOP_ERR_FLINK_SQL'
  constructor (message: string, readonly status: number, readonly detail: string) {
    super(message)
  }
}

/**
 * The line of Flink's error a person needs: the deepest "Caused by:" of the Java stack trace the
 * gateway answers with (the first lines only say the operation failed).
 */
export function rootCause (errors: readonly string[]): string {
  const text = errors.join('\n')
  const causes = [...text.matchAll(/Caused by: ([^\n]+)/g)].map(m => m[1]!)
  const line = causes.at(-1) ?? text.split('\n').find(l => l.trim() !== '') ?? 'erro desconhecido do Flink'
  return line.replace(/^[\w.$]+(Exception|Error): /, '').trim()
}

const sleep = async (ms: number): Promise<void> => await new Promise(resolve => setTimeout(resolve, ms))

export class SqlGateway {
  constructor (readonly url: string, private readonly requestTimeoutMs = 30_000) {}

  private async call<T> (method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(this.url.replace(/\/$/, '') + path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(this.requestTimeoutMs)
    })
    const text = await res.text()
    const json = text === '' ? {} : JSON.parse(text) as T & { errors?: string[] }
    if (!res.ok) {
      const errors = (json as { errors?: string[] }).errors ?? [text]
      throw new SqlGatewayError(rootCause(errors), res.status, errors.join('\n'))
    }
    return json as T
  }

  async info (): Promise<{ productName: string, version: string }> {
    return await this.call('GET', '/v1/info')
  }

  async openSession (properties: Record<string, string> = {}, sessionName?: string): Promise<string> {
    const r = await this.call<{ sessionHandle: string }>('POST', '/v3/sessions', { properties, ...(sessionName ? { sessionName } : {}) })
    return r.sessionHandle
  }

  async closeSession (session: string): Promise<void> {
    await this.call('DELETE', `/v3/sessions/${session}`).catch(() => {})
  }

  async submit (session: string, statement: string): Promise<string> {
    const r = await this.call<{ operationHandle: string }>('POST', `/v3/sessions/${session}/statements`, { statement })
    return r.operationHandle
  }

  async cancel (session: string, operation: string): Promise<void> {
    await this.call('POST', `/v3/sessions/${session}/operations/${operation}/cancel`).catch(() => {})
  }

  async closeOperation (session: string, operation: string): Promise<void> {
    await this.call('DELETE', `/v3/sessions/${session}/operations/${operation}/close`).catch(() => {})
  }

  /**
   * Runs one statement and reads its result pages until the end, `maxRows` rows or `timeoutMs`
   * (a streaming SELECT never ends by itself: it is cancelled at the limit, truncated = true).
   */
  async run (session: string, statement: string, limits: { maxRows?: number, timeoutMs?: number } = {}): Promise<StatementResult> {
    const maxRows = limits.maxRows ?? 10_000
    const deadline = Date.now() + (limits.timeoutMs ?? 120_000)
    const op = await this.submit(session, statement)
    const out: StatementResult = { columns: [], rows: [], jobId: null, truncated: false }
    let next: string | undefined = `/v3/sessions/${session}/operations/${op}/result/0?rowFormat=JSON`
    try {
      while (next) {
        if (Date.now() >= deadline) {
          out.truncated = true
          break
        }
        const page: FetchBody = await this.call<FetchBody>('GET', next)
        if (page.jobID) out.jobId = page.jobID
        if (page.results?.columns?.length) out.columns = page.results.columns
        if (page.resultType === 'NOT_READY') {
          await sleep(200)
          continue
        }
        for (const row of page.results?.data ?? []) {
          if (out.rows.length >= maxRows) {
            out.truncated = true
            break
          }
          out.rows.push(row)
        }
        if (out.truncated || page.resultType === 'EOS') break
        // A page with nothing new (a streaming SELECT waiting for records): pause before asking again.
        if ((page.results?.data ?? []).length === 0) await sleep(200)
        next = page.nextResultUri
      }
    } finally {
      if (out.truncated) await this.cancel(session, op)
      await this.closeOperation(session, op)
    }
    return out
  }
}
