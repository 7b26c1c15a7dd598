import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { request } from 'node:http'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { ROOT } from '../../../src/settings.ts'
import { freePort, nodeTs } from '../../../src/proc.ts'
import { waitFor } from '../../../src/testing/index.ts'

// The control plane's server as make demo runs it, and the make targets' CLI talking to it. Only
// read-only calls and refused ones: the shared stack is looked at, never changed.

let port = 0
let server: ReturnType<typeof spawn> | undefined

function cli (...args: string[]): { status: number | null, out: string } {
  return run('infra/src/control/cli.ts', args)
}

function run (file: string, args: string[]): { status: number | null, out: string } {
  const { command, args: pre } = nodeTs(join(ROOT, file), args)
  const r = spawnSync(command, pre, { cwd: ROOT, env: { ...process.env, CONTROL_PORT: String(port) }, encoding: 'utf8', timeout: 60_000 })
  return { status: r.status, out: `${r.stdout}${r.stderr}` }
}

before(async () => {
  port = await freePort()
  const { command, args } = nodeTs(join(ROOT, 'infra/src/control/server.ts'))
  server = spawn(command, args, { cwd: ROOT, env: { ...process.env, CONTROL_PORT: String(port), LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'inherit'] })
  await waitFor('the control server', async () => (await fetch(`http://127.0.0.1:${port}/health`)).ok, 60_000, 250)
})

after(async () => {
  if (server && server.exitCode === null) {
    server.kill('SIGTERM')
    await new Promise(resolve => server!.once('exit', resolve))
  }
})

test('a request under a rebound DNS name (unknown Host) or from another site\'s page is refused before any route', async () => {
  const ask = async (headers: Record<string, string>): Promise<{ status: number, body: string }> => await new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/components', headers }, res => {
      let body = ''
      res.on('data', (c: Buffer) => { body += c.toString() })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
  const rebound = await ask({ host: `rebind.attacker.example:${port}` })
  assert.equal(rebound.status, 421)
  assert.equal(JSON.parse(rebound.body).code, 'SHOP_ERR_HOST_NOT_ALLOWED')
  assert.equal((await ask({ host: `127.0.0.1:${port}`, origin: 'https://evil.example' })).status, 403)
  assert.equal((await ask({ host: `localhost:${port}` })).status, 200)
})

test('the server answers on loopback with every component, and the CLI goes through it', async () => {
  const res = await fetch(`http://127.0.0.1:${port}/components`)
  assert.equal(res.status, 200)
  const { components } = await res.json() as { components: Array<{ name: string, kind: string }> }
  for (const name of ['kafka-1', 'postgres', 'registry', 'inventory', 'checkout-api', 'control']) assert.ok(components.some(c => c.name === name), name)
  const status = cli('status')
  assert.equal(status.status, 0, status.out)
  assert.match(status.out, /^kafka-1\s+rodando, pid \d+/m)
  assert.doesNotMatch(status.out, /fora do ar/, 'answered by the API, not in-process')
})

test('refusals come back as the SHOP_ERR body, and the CLI tells them in Portuguese', async () => {
  const res = await fetch(`http://127.0.0.1:${port}/components/control/stop`, { method: 'POST' })
  assert.equal(res.status, 409)
  assert.equal((await res.json() as { code: string }).code, 'SHOP_ERR_COMPONENT_PROTECTED')
  const stop = cli('stop', 'control')
  assert.equal(stop.status, 1)
  assert.match(stop.out, /o plano de controle não para nem reinicia a si mesmo/)
  const unknown = cli('restart', 'nada')
  assert.equal(unknown.status, 1)
  assert.match(unknown.out, /não existe componente "nada"/)
  const usage = cli('kill')
  assert.equal(usage.status, 2)
  assert.match(usage.out, /uso: make kill S=<componente>/)
})

test('make exercicios and make exercicio go through the API too; an unknown N is told in Portuguese', async () => {
  const res = await fetch(`http://127.0.0.1:${port}/exercises`)
  assert.equal(res.status, 200)
  const list = run('infra/src/exercises/cli.ts', ['exercicios'])
  assert.equal(list.status, 0, list.out)
  assert.match(list.out, /^ 1 {2}.+Produzir e consumir/m)
  assert.match(list.out, /^12 {2}/m)
  assert.doesNotMatch(list.out, /fora do ar/, 'answered by the API, not in-process')
  const unknown = run('infra/src/exercises/cli.ts', ['exercicio', '42'])
  assert.equal(unknown.status, 2)
  assert.match(unknown.out, /não existe o exercício 42/)
})
