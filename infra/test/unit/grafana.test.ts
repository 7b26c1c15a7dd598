import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { execa } from 'execa'
import { parse } from 'yaml'
import { ROOT } from '../../src/settings.ts'
import { observabilityTools } from '../../src/prometheus.ts'
import { observabilityAvailable } from '../../src/testing/prometheus.ts'

// The dashboards compose's Grafana provisions and the UI's Métricas page draws: each panel's PromQL
// stands alone (no Grafana variables), so the page can send it to Prometheus's API as it is.
const DIR = join(ROOT, 'infra/grafana/dashboards')
interface Panel { title: string, type: string, datasource: { uid: string }, targets: Array<{ expr: string, legendFormat?: string }> }
const dashboards = readdirSync(DIR).filter(f => f.endsWith('.json')).map(f => ({ file: f, json: JSON.parse(readFileSync(join(DIR, f), 'utf8')) as { uid: string, title: string, panels: Panel[] } }))

test('the plan\'s dashboards exist: Kafka cluster, services, consumer lag, sagas, DLQ and retries', () => {
  assert.deepEqual(dashboards.map(d => d.file).sort(), ['consumer-lag.json', 'dlq-retries.json', 'kafka-cluster.json', 'sagas.json', 'services.json'])
  const uids = dashboards.map(d => d.json.uid)
  assert.equal(new Set(uids).size, uids.length, 'dashboard uids are unique')
})

test('every panel has a title and self-contained PromQL on the provisioned datasource (no $variables, no Grafana-only intervals)', () => {
  const provisioned = parse(readFileSync(join(ROOT, 'infra/grafana/provisioning/datasources/prometheus.yml'), 'utf8')) as { datasources: Array<{ uid: string }> }
  const uid = provisioned.datasources[0]!.uid
  for (const { file, json } of dashboards) {
    assert.ok(json.panels.length > 0, file)
    for (const p of json.panels) {
      assert.ok(p.title, `${file}: a panel without a title`)
      assert.equal(p.datasource.uid, uid, `${file}: ${p.title}`)
      assert.ok(p.targets.length > 0, `${file}: ${p.title} has no query`)
      for (const t of p.targets) assert.doesNotMatch(t.expr, /\$/, `${file}: ${p.title}: ${t.expr}`)
    }
  }
})

test('every panel query is valid PromQL (checked by promtool as a recording rule)', async t => {
  if (!observabilityAvailable(t)) return
  const dir = mkdtempSync(join(tmpdir(), 'vitrine-grafana-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const exprs = dashboards.flatMap(d => d.json.panels.flatMap(p => p.targets.map(q => q.expr)))
  const file = join(dir, 'panels.yml')
  writeFileSync(file, JSON.stringify({ groups: [{ name: 'panels', rules: exprs.map((expr, i) => ({ record: `panel_${i}`, expr })) }] }))
  const r = await execa(observabilityTools().promtool!, ['check', 'rules', file], { reject: false, all: true })
  assert.equal(r.exitCode, 0, r.all)
  assert.match(String(r.all), new RegExp(`SUCCESS: ${exprs.length} rules found`))
})
