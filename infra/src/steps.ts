// Named steps with elapsed time, so a first run (jar downloads, builds) never looks like a hang.
const t0 = Date.now()
const isTty = process.stdout.isTTY

function secs (ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`
}

export async function step<T> (name: string, fn: () => Promise<T>): Promise<T> {
  const started = Date.now()
  process.stdout.write(`▶ ${name}\n`)
  const heartbeat = setInterval(() => {
    process.stdout.write(`  … ${name}: ainda em andamento (${secs(Date.now() - started)})\n`)
  }, isTty ? 10_000 : 20_000)
  try {
    const result = await fn()
    process.stdout.write(`✔ ${name} (${secs(Date.now() - started)}, total ${secs(Date.now() - t0)})\n`)
    return result
  } catch (err) {
    process.stdout.write(`✘ ${name} (${secs(Date.now() - started)})\n`)
    throw err
  } finally {
    clearInterval(heartbeat)
  }
}

export function info (line: string): void {
  process.stdout.write(`  ${line}\n`)
}
