import { spawn } from 'node:child_process'
import { once } from 'node:events'
import type { TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'
import { freePort } from '@vitrine/infra'
import { cleanup } from '@vitrine/infra/testing'
import { waitFor } from '@vitrine/infra/testing/saga'
import type { Saga } from './harness.ts'

const GATEWAY = fileURLToPath(new URL('../../gateway/src/server.ts', import.meta.url))

/**
 * The gateway as its own process on this saga's topics and groups (it reports every group's lag and
 * forwards to the saga's process-mode services), stopped when the test ends, before the saga's
 * cleanup deletes the groups. Register the saga's close with cleanup(t) before calling this.
 */
export async function startGateway (t: TestContext, saga: Saga, env: Record<string, string | number> = {}): Promise<{ port: number, url: string }> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const child = spawn(process.execPath, ['--import', 'tsx', GATEWAY], {
    // Never the shared stack's Prometheus and Alertmanager unless the test gives its private ones.
    env: { ...process.env, ...saga.envFor('checkout-api'), PROMETHEUS_URL: 'http://127.0.0.1:9', ALERTMANAGER_URL: 'http://127.0.0.1:9', ...Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)])), PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'inherit']
  })
  cleanup(t, async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGTERM')
    await once(child, 'exit')
  })
  await waitFor('the gateway ready', async () => {
    if (child.exitCode !== null) throw new Error(`the gateway exited with ${child.exitCode}`)
    return (await fetch(`${url}/health`).catch(() => undefined))?.ok
  }, 60_000, 250)
  return { port, url }
}
