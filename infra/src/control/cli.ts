import type { ActionResult, ComponentStatus, ResetReport } from './plane.ts'
import { ControlPlane, controlSettings } from './plane.ts'
import { controlClient } from './client.ts'

// `make status | start | stop | restart | kill | reset` (S=<component>): through the control plane's
// HTTP API when it runs (make demo starts it), otherwise through the same module in this process.

const [command, name] = process.argv.slice(2)
const plane = new ControlPlane(controlSettings())
const { up: apiUp, call } = controlClient(plane.settings.apps.ports.control!)

/** The plane's errors, from the API or the module, told in Portuguese; anything else as it came. */
function explain (err: unknown): string {
  const e = err as { code?: string, message?: string, details?: { component?: string, action?: string, known?: string[] } }
  const d = e.details ?? {}
  switch (e.code) {
    case 'SHOP_ERR_COMPONENT_NOT_FOUND': return `não existe componente "${d.component}". Os componentes são: ${(d.known ?? plane.names()).join(', ')}`
    case 'SHOP_ERR_COMPONENT_PROTECTED': return 'o plano de controle não para nem reinicia a si mesmo: make down para tudo, e make demo o sobe de novo'
    case 'SHOP_ERR_COMPONENT_EXTERNAL': return `${d.component} roda fora da Vitrine (o endereço vem do ambiente: KAFKA_BROKERS, DATABASE_URL ou SCHEMA_REGISTRY_URL); não é nosso para ${d.action}`
    default: return e.message ?? String(err)
  }
}

function row (c: ComponentStatus): string {
  const ports = c.ports.map(p => `${p.port}${p.listening ? ' (escutando)' : ''}`).join(', ')
  const state = c.external ? 'externo' : c.alive ? `rodando, pid ${c.pid}` : c.pid !== null ? `morto (pid ${c.pid})` : 'parado'
  return `${c.name.padEnd(18)} ${state.padEnd(22)} ${ports}`
}

const DONE: Record<ActionResult['action'], string> = { start: 'iniciado', stop: 'parado', restart: 'reiniciado', kill: 'morto com SIGKILL (o grupo de processos inteiro, sem desligamento)' }

function actionLine (r: ActionResult): string {
  const before = r.previousPid !== null ? `pid ${r.previousPid}` : 'nenhum processo'
  const now = r.component.alive ? `rodando, pid ${r.component.pid}` : 'parado'
  return `✔ ${r.component.name} ${DONE[r.action]}: antes ${before}, agora ${now}`
}

/** A resumo in Portuguese: what was emptied, the stock, the groups, what runs again. */
export function resetSummary (r: ResetReport): string[] {
  const emptied = r.tables.filter(t => t.rows > 0)
  const rows = (table: string): number => r.tables.filter(t => t.table === table).reduce((n, t) => n + t.rows, 0)
  const lines = [`✔ Loja zerada em ${r.seconds.toFixed(1)}s.`]
  if (emptied.length > 0) {
    lines.push(`  Apagados: ${rows('orders')} pedido(s), ${rows('payments')} pagamento(s), ${rows('reservations')} reserva(s), ${rows('notifications')} notificação(ões), ${rows('sagas')} saga(s)`)
    lines.push(`  Tabelas esvaziadas (linhas): ${emptied.map(t => `${t.schema}.${t.table} (${t.rows})`).join(', ')}`)
  } else {
    lines.push('  Nada a apagar: pedidos, pagamentos, reservas, notificações e sagas já estavam vazios.')
  }
  if (r.stock.length > 0) lines.push(`  Estoque de volta ao seed: ${r.stock.map(s => `${s.productId}=${s.stock}`).join(', ')}`)
  for (const g of r.groups) lines.push(`  Grupo ${g.group}: offsets no fim de ${g.topics.length} tópico(s) (${g.partitions} partições), ${g.skipped} registro(s) antigo(s) pulado(s), lag ${g.lag}`)
  lines.push(r.started.length > 0 ? `  Serviços reiniciados: ${r.started.join(', ')}` : '  Nenhum serviço rodava: eles sobem com os dados zerados no próximo make demo.')
  if (r.trafficRate > 0) lines.push(`  Gerador de tráfego religado: ${r.trafficRate} pedido(s)/s`)
  return lines
}

async function main (): Promise<number> {
  const viaApi = await apiUp()
  switch (command) {
    case 'status': {
      const list = viaApi ? (await call<{ components: ComponentStatus[] }>('GET', '/components')).components : await plane.status()
      for (const c of list) console.log(row(c))
      if (!viaApi) console.log(`(plano de controle fora do ar: make demo o sobe na porta ${plane.settings.apps.ports.control})`)
      return 0
    }
    case 'start': case 'stop': case 'restart': case 'kill': {
      if (!name) {
        console.error(`uso: make ${command} S=<componente>   (componentes: ${plane.names().join(', ')})`)
        return 2
      }
      const r = viaApi ? await call<ActionResult>('POST', `/components/${encodeURIComponent(name)}/${command}`) : await plane.act(name, command)
      console.log(actionLine(r))
      return 0
    }
    case 'reset': {
      console.log('▶ Zerando a loja: parando os serviços, esvaziando as tabelas, estoque ao seed, offsets ao fim...')
      const r = viaApi ? await call<ResetReport>('POST', '/reset') : await plane.reset()
      for (const line of resetSummary(r)) console.log(line)
      return 0
    }
    default:
      console.error('uso: control/cli.ts status | start S | stop S | restart S | kill S | reset')
      return 2
  }
}

main().then(code => process.exit(code), err => {
  console.error(`✘ ${explain(err)}`)
  process.exit(1)
})
