// Named steps with elapsed time, so a first run (jar downloads, builds) never looks like a hang.
const t0 = Date.now()
const isTty = process.stdout.isTTY
// Under node:test, stdout carries the runner's own protocol; progress lines go to stderr there.
const out = process.env.NODE_TEST_CONTEXT ? process.stderr : process.stdout

function secs (ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`
}

export async function step<T> (name: string, fn: () => Promise<T>): Promise<T> {
  const started = Date.now()
  out.write(`▶ ${name}\n`)
  const heartbeat = setInterval(() => {
    out.write(`  … ${name}: ainda em andamento (${secs(Date.now() - started)})\n`)
  }, isTty ? 10_000 : 20_000)
  try {
    const result = await fn()
    out.write(`✔ ${name} (${secs(Date.now() - started)}, total ${secs(Date.now() - t0)})\n`)
    return result
  } catch (err) {
    out.write(`✘ ${name} (${secs(Date.now() - started)})\n`)
    throw err
  } finally {
    clearInterval(heartbeat)
  }
}

export function info (line: string): void {
  out.write(`  ${line}\n`)
}

/** One line: our own errors already say what to do; anything else says which command failed. */
export function oneLine (err: unknown, what: string): string {
  const message = err instanceof Error ? err.message : String(err)
  const first = message.split('\n').find(l => l.trim() !== '')?.trim() ?? 'erro sem mensagem'
  const ours = typeof (err as { code?: unknown })?.code === 'string' && String((err as { code: string }).code).startsWith('SHOP_ERR_')
  return ours ? first : `${what} falhou: ${first} (VITRINE_DEBUG=1 ${what} mostra os detalhes)`
}
