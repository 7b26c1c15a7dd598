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
