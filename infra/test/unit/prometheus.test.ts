import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { execa } from 'execa'
import { parse } from 'yaml'
import { loadSettings } from '../../src/settings.ts'
import { appSettings } from '../../src/apps.ts'
import { PROMETHEUS_DIR, RULES_DIR, alertmanagerYaml, observabilityTools, prometheusYaml, stackTargets } from '../../src/prometheus.ts'
import { observabilityAvailable } from '../../src/testing/prometheus.ts'

// The rules, the generated configs and the rules' unit tests, checked by Prometheus's own tools.
const TESTS_DIR = join(PROMETHEUS_DIR, 'tests')
const ruleFiles = readdirSync(RULES_DIR).filter(f => f.endsWith('.yml')).map(f => join(RULES_DIR, f))
const testFiles = readdirSync(TESTS_DIR).filter(f => f.endsWith('.yml')).map(f => join(TESTS_DIR, f))

interface Rule { alert?: string, record?: string }
const rules: Rule[] = ruleFiles.flatMap(f => (parse(readFileSync(f, 'utf8')) as { groups: Array<{ rules: Rule[] }> }).groups.flatMap(g => g.rules))

interface UnitTest { alert_rule_test?: Array<{ alertname: string, exp_alerts: unknown[] }>, promql_expr_test?: Array<{ expr: string, exp_samples: unknown[] }> }
const unitTests: UnitTest[] = testFiles.flatMap(f => (parse(readFileSync(f, 'utf8')) as { tests: UnitTest[] }).tests)

test('the plan\'s alerts exist: lag, error rate, service down, DLQ, outbox age, under-replicated, saga success and time to outcome, broker down', () => {
  const alerts = rules.flatMap(r => r.alert ?? [])
  for (const name of ['HighConsumerLag', 'ConsumerErrorRateHigh', 'HttpErrorRateHigh', 'ServiceDown', 'DeadLettersArriving', 'OutboxBacklogOld', 'UnderReplicatedPartitions', 'SagaSuccessRateLow', 'SagaSlowOutcome', 'BrokerDown']) {
    assert.ok(alerts.includes(name), `no alert ${name} in ${RULES_DIR}`)
  }
})

test('every alert has a promtool test where it fires and one where it stays quiet; every recording rule a test of its value', () => {
  for (const r of rules) {
    if (r.alert) {
      const cases = unitTests.flatMap(t => t.alert_rule_test ?? []).filter(c => c.alertname === r.alert)
      assert.ok(cases.some(c => c.exp_alerts.length > 0), `alert ${r.alert} is never expected to fire in ${TESTS_DIR}`)
      assert.ok(cases.some(c => c.exp_alerts.length === 0), `alert ${r.alert} is never expected to stay quiet in ${TESTS_DIR}`)
    }
    if (r.record) {
      const cases = unitTests.flatMap(t => t.promql_expr_test ?? []).filter(c => c.expr === r.record)
      assert.ok(cases.some(c => c.exp_samples.length > 0), `recording rule ${r.record} has no promql_expr_test in ${TESTS_DIR}`)
    }
  }
})

test('promtool check rules and promtool test rules pass', async t => {
  if (!observabilityAvailable(t)) return
  const { promtool } = observabilityTools()
  const check = await execa(promtool!, ['check', 'rules', ...ruleFiles], { reject: false, all: true })
  assert.equal(check.exitCode, 0, check.all)
  const run = await execa(promtool!, ['test', 'rules', ...testFiles], { reject: false, all: true, cwd: TESTS_DIR })
  assert.equal(run.exitCode, 0, run.all)
  assert.doesNotMatch(String(run.all), /FAILED/)
})

test('the generated configs pass promtool check config and amtool check-config; they scrape every service, every broker\'s exporter, and send alerts to the gateway', async t => {
  if (!observabilityAvailable(t)) return
  const { promtool, amtool } = observabilityTools()
  const dir = mkdtempSync(join(tmpdir(), 'vitrine-promcfg-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  // The default client port, whatever KAFKA_PORT this shell has: the exporters sit at client port + 2.
  const s = loadSettings({ stateDir: dir, brokers: 3, kafkaPort: 9092 })
  const ports = appSettings(s).ports
  const targets = stackTargets(s, ports)
  const promFile = join(dir, 'prometheus.yml')
  const amFile = join(dir, 'alertmanager.yml')
  writeFileSync(promFile, prometheusYaml({ stateDir: dir, prometheusPort: s.prometheusPort, alertmanagerPort: s.alertmanagerPort, targets }))
  writeFileSync(amFile, alertmanagerYaml(targets.webhookUrl))
  const check = await execa(promtool!, ['check', 'config', promFile], { reject: false, all: true })
  assert.equal(check.exitCode, 0, check.all)
  assert.match(String(check.all), /SUCCESS: \d+ rule files found/)
  const am = await execa(amtool!, ['check-config', amFile], { reject: false, all: true })
  assert.equal(am.exitCode, 0, am.all)

  const config = parse(readFileSync(promFile, 'utf8')) as { scrape_configs: Array<{ job_name: string, static_configs: Array<{ targets: string[], labels?: Record<string, string> }> }> }
  const job = (name: string): string[] => config.scrape_configs.find(j => j.job_name === name)!.static_configs.flatMap(c => c.targets)
  for (const name of ['checkout-api', 'payment', 'inventory', 'notification', 'orchestrator', 'gateway']) {
    assert.ok(job('services').includes(`127.0.0.1:${ports[name]}`), `${name} is not scraped`)
  }
  assert.ok(!job('services').includes(`127.0.0.1:${ports.web}`), 'the UI has no /metrics')
  // BROKERS=3: the three brokers and the separate controller (the kafka_controller_* series come from it alone).
  assert.deepEqual(job('kafka'), ['127.0.0.1:9094', '127.0.0.1:9194', '127.0.0.1:9294', '127.0.0.1:9095'])
  assert.equal(targets.webhookUrl, `http://127.0.0.1:${ports.gateway}/api/alerts/webhook`)
  assert.match(readFileSync(amFile, 'utf8'), new RegExp(`"url": "http://127.0.0.1:${ports.gateway}/api/alerts/webhook"`))
})

test('APP_PORT_OFFSET moves Prometheus, Alertmanager and the scraped services; Prometheus is not on 9090 nor Alertmanager on 9093 (Kafka\'s controller)', () => {
  const saved = process.env.APP_PORT_OFFSET
  // Explicit ports win over the offset: this test is about the defaults, whatever this shell sets.
  const explicit = { PROMETHEUS_PORT: process.env.PROMETHEUS_PORT, ALERTMANAGER_PORT: process.env.ALERTMANAGER_PORT }
  delete process.env.PROMETHEUS_PORT
  delete process.env.ALERTMANAGER_PORT
  try {
    delete process.env.APP_PORT_OFFSET
    const base = loadSettings({ stateDir: '/tmp/x' })
    assert.notEqual(base.prometheusPort, 9090)
    assert.notEqual(base.alertmanagerPort, 9093)
    process.env.APP_PORT_OFFSET = '1000'
    const moved = loadSettings({ stateDir: '/tmp/x' })
    assert.equal(moved.prometheusPort, base.prometheusPort + 1000)
    assert.equal(moved.alertmanagerPort, base.alertmanagerPort + 1000)
    assert.equal(stackTargets(moved, appSettings(moved).ports).services.payment, 3002 + 1000)
  } finally {
    if (saved === undefined) delete process.env.APP_PORT_OFFSET
    else process.env.APP_PORT_OFFSET = saved
    for (const [name, value] of Object.entries(explicit)) if (value !== undefined) process.env[name] = value
  }
})

test('Alertmanager\'s timing is settable for tests (group_wait, group_interval, repeat_interval) and passes amtool; the stack keeps 5 s, 30 s, 4 h', async t => {
  const route = (yaml: string): Record<string, string> => (parse(yaml) as { route: Record<string, string> }).route
  assert.deepEqual(Object.entries(route(alertmanagerYaml('http://127.0.0.1:1/api/alerts/webhook'))).filter(([k]) => k.endsWith('_wait') || k.endsWith('_interval')),
    [['group_wait', '5s'], ['group_interval', '30s'], ['repeat_interval', '4h']])
  const short = alertmanagerYaml('http://127.0.0.1:1/api/alerts/webhook', { groupWait: '1s', groupInterval: '2s', repeatInterval: '1m' })
  assert.equal(route(short).group_interval, '2s')
  assert.equal(route(short).repeat_interval, '1m')
  if (!observabilityAvailable(t)) return
  const dir = mkdtempSync(join(tmpdir(), 'vitrine-amcfg-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'alertmanager.yml'), short)
  const am = await execa(observabilityTools().amtool!, ['check-config', join(dir, 'alertmanager.yml')], { reject: false, all: true })
  assert.equal(am.exitCode, 0, am.all)
})

test('APP_PORT_OFFSET past 56000 is refused with one line naming the range (Alertmanager would land past port 65535)', () => {
  const saved = process.env.APP_PORT_OFFSET
  try {
    process.env.APP_PORT_OFFSET = '56000'
    assert.ok(loadSettings({}).alertmanagerPort <= 65_535)
    process.env.APP_PORT_OFFSET = '59800'
    assert.throws(() => loadSettings({}), /APP_PORT_OFFSET deve ser um inteiro de 0 a 56000/)
  } finally {
    if (saved === undefined) delete process.env.APP_PORT_OFFSET
    else process.env.APP_PORT_OFFSET = saved
  }
})
