import { rmSync } from 'node:fs'
import { loadSettings } from './settings.ts'
import { ComponentDiedError, down, status, up } from './stack.ts'
import { setup } from './setup.ts'
import { prefetch } from './prefetch.ts'
import { appPorts } from './apps.ts'
import { removeOutsideHome } from './postgres-host.ts'
import { oneLine } from './steps.ts'

// `make setup|prefetch|up|down|status|clean` land here. A failure prints one line that says what is wrong
// and what to run; VITRINE_DEBUG=1 adds the log's last lines and the stack trace.
const command = process.argv[2]

async function main (): Promise<number> {
  const settings = loadSettings()
  switch (command) {
    case 'setup':
      await setup()
      return 0
    case 'prefetch':
      await prefetch()
      return 0
    case 'up':
      await setup()
      await up(settings)
      return 0
    case 'down': {
      // Our services and the UI first, then the stack.
      const leftovers = await down(settings, appPorts())
      if (leftovers.length > 0) {
        console.error(`Nem tudo parou; ainda escutando:\n${leftovers.map(l => `  ${l}`).join('\n')}`)
        return 1
      }
      console.log('Tudo parado: nada ficou para trás (nenhum processo nem porta nossa).')
      return 0
    }
    case 'clean': {
      // Only the PostgreSQL folder kept outside the project; the Makefile removes the state folder itself.
      const home = removeOutsideHome(settings)
      if (home) console.log(`apagado ${home} (dados do PostgreSQL fora do projeto)`)
      rmSync(settings.stateDir, { recursive: true, force: true })
      return 0
    }
    case 'status': {
      for (const row of await status(settings, appPorts())) {
        const ports = row.ports.map(p => `${p.port}${p.listening ? ' (escutando)' : ''}`).join(', ')
        const state = row.external ? 'externo' : row.alive ? `rodando, pid ${row.pid}` : 'parado'
        console.log(`${row.name.padEnd(18)} ${state.padEnd(22)} ${ports}`)
      }
      return 0
    }
    default:
      console.error('usage: cli.ts setup|prefetch|up|down|status|clean')
      return 2
  }
}

main().then(code => process.exit(code), err => {
  console.error(`\n✘ ${oneLine(err, `make ${command ?? ''}`.trim())}`)
  if (process.env.VITRINE_DEBUG === '1') {
    if (err instanceof ComponentDiedError && err.detail) console.error(`\n${err.detail}`)
    console.error(err instanceof Error ? err.stack : err)
  }
  process.exit(1)
})
