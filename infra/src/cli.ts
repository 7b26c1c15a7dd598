import { loadSettings } from './settings.ts'
import { down, status, up } from './stack.ts'
import { setup } from './setup.ts'
import { appNames, apps } from './apps.ts'

// `make setup|up|down|status` land here.
const command = process.argv[2]
const settings = loadSettings()

async function main (): Promise<number> {
  switch (command) {
    case 'setup':
      await setup()
      return 0
    case 'up':
      await setup()
      await up(settings)
      return 0
    case 'down': {
      // Our services and the UI first, then the stack.
      const leftovers = await down(settings, appNames())
      if (leftovers.length > 0) {
        console.error(`ainda escutando: ${leftovers.join(', ')}`)
        return 1
      }
      console.log('Tudo parado: nenhum processo nem porta nossa ficou para trás.')
      return 0
    }
    case 'status': {
      for (const row of await status(settings, apps().map(a => ({ name: a.name, ports: [a.port] })))) {
        const ports = row.ports.map(p => `${p.port}${p.listening ? ' (escutando)' : ''}`).join(', ')
        const state = row.external ? 'externo' : row.alive ? `rodando, pid ${row.pid}` : 'parado'
        console.log(`${row.name.padEnd(18)} ${state.padEnd(22)} ${ports}`)
      }
      return 0
    }
    default:
      console.error('usage: cli.ts setup|up|down|status')
      return 2
  }
}

main().then(code => process.exit(code), err => {
  console.error(`\n${err instanceof Error ? err.message : String(err)}`)
  process.exit(1)
})
