import assert from 'node:assert/strict'
import { test } from 'node:test'
import { latestSchema } from '@vitrine/contracts'
import { JOBS, SqlParamError, checkReadOnly, jobStatements, kafkaSqlLogin, readerStatements, renderSql, splitStatements } from '../../src/sql.ts'
import { rootCause } from '../../src/sql-gateway.ts'
import { resumePlan } from '../../src/submit.ts'

const params = {
  TOPIC_PREFIX: 'tabc.',
  KAFKA_BROKERS: 'localhost:9092',
  SCHEMA_REGISTRY_URL: 'http://localhost:8081',
  GROUP_SUFFIX: '-tabc',
  CDC_CUSTOMERS_TOPIC: 'tabc.cdc.customers',
  CDC_PRODUCTS_TOPIC: 'tabc.cdc.products',
  CDC_SCHEMA_INCLUDE: 'false',
  TRANSACTIONAL_ID: 'vitrine-tabc.order_kpis'
}

test('every job file renders to statements with no parameter left, its topics under the prefix', () => {
  for (const job of JOBS) {
    const statements = jobStatements(job, params)
    const text = statements.join('\n')
    assert.doesNotMatch(text, /\$\{/, `${job}: a parameter was left unfilled`)
    assert.ok(statements.some(s => /^INSERT INTO /i.test(s)), `${job} has no INSERT`)
    assert.equal(statements.filter(s => /^INSERT INTO /i.test(s)).length, 1, `${job}: one INSERT, one job`)
    for (const m of text.matchAll(/'topic' = '([^']+)'/g)) assert.ok(m[1]!.startsWith('tabc.'), `${job}: topic ${m[1]} is not under the prefix`)
    for (const s of statements) assert.ok(!s.endsWith(';') && !/^\s*--/.test(s), `${job}: statement keeps a ; or a comment line`)
  }
})

test('each output table gives Flink the contracts schema, quoted so SQL reads it back unchanged', () => {
  const sink = jobStatements('revenue_by_tier', params).find(s => s.startsWith('CREATE TABLE revenue_by_tier'))!
  const m = /'value\.avro-confluent\.schema' = '((?:[^']|'')*)'/.exec(sink)
  assert.ok(m, 'no schema option on the sink')
  assert.deepEqual(JSON.parse(m[1]!.replaceAll("''", "'")), latestSchema('revenue-by-tier'))
})

test('a parameter without a value is an error naming it, not an empty string in the SQL', () => {
  assert.throws(() => renderSql("'topic' = '$" + "{NOPE}'", params), (err: Error) => err instanceof SqlParamError && /\$\{NOPE\}/.test(err.message))
})

test('statements split at a ; that ends a line; comment lines are dropped', () => {
  assert.deepEqual(splitStatements("-- um comentário; com ponto e vírgula\nSET 'a' = 'b';\n\nSELECT 1,\n  2\nFROM t;\nSELECT 3"), ["SET 'a' = 'b'", 'SELECT 1,\n  2\nFROM t', 'SELECT 3'])
})

test('the SQL page runs reads only: anything else is refused naming the rule, in pt-BR', () => {
  for (const ok of ['SELECT * FROM orders_new', '  select 1;', 'EXPLAIN SELECT 1', 'SHOW TABLES', 'DESCRIBE orders_new', '-- comentário\nSELECT 1', 'WITH x AS (SELECT 1) SELECT * FROM x']) {
    assert.equal(checkReadOnly(ok).ok, true, ok)
  }
  for (const [bad, verb] of <Array<[string, string]>>[['INSERT INTO t SELECT 1', 'INSERT'], ['DROP TABLE orders_new', 'DROP'], ['CREATE TABLE x (a INT)', 'CREATE'], ["SET 'a' = 'b'", 'SET'], ['/* SELECT */ DELETE FROM t', 'DELETE']]) {
    const v = checkReadOnly(bad)
    assert.equal(v.ok, false, bad)
    assert.equal(v.verb, verb)
    assert.match(v.reason!, /só lê \(SELECT, EXPLAIN, SHOW ou DESCRIBE\)/)
  }
  assert.match(checkReadOnly('SELECT 1; DROP TABLE t').reason!, /só uma instrução por vez/)
  assert.match(checkReadOnly('   ').reason!, /vazia/)
})

test('a Flink error is reduced to its deepest cause', () => {
  const errors = ['org.apache.flink.table.gateway.api.utils.SqlGatewayException: Failed to fetchResults.\n\tat x\nCaused by: org.apache.flink.table.api.ValidationException: SQL validation failed.\nCaused by: org.apache.calcite.sql.validate.SqlValidatorException: Object \'nope\' not found']
  assert.equal(rootCause(errors), "Object 'nope' not found")
})

test('a job resumes from its checkpoint only with the statements that wrote it', () => {
  const statements = jobStatements('revenue_by_tier', params)
  const first = resumePlan({}, 'vitrine-revenue_by_tier', statements)
  assert.deepEqual([first.previousJobId, first.sqlChanged], [null, false])
  const state = { 'vitrine-revenue_by_tier': 'job-1', 'vitrine-revenue_by_tier#sql': first.sqlHash }
  assert.deepEqual(resumePlan(state, 'vitrine-revenue_by_tier', statements), { previousJobId: 'job-1', sqlHash: first.sqlHash, sqlChanged: false })
  // An edited job (or tables.sql) starts afresh, and so does a job whose SQL was never recorded.
  const edited = resumePlan(state, 'vitrine-revenue_by_tier', statements.map(s => s.replace('COUNT(*)', 'COUNT(DISTINCT o.orderId)')))
  assert.notEqual(edited.sqlHash, first.sqlHash)
  assert.deepEqual([edited.previousJobId, edited.sqlChanged], [null, true])
  assert.equal(resumePlan({ 'vitrine-revenue_by_tier': 'job-1' }, 'vitrine-revenue_by_tier', statements).previousJobId, null)
})

test('every Kafka table logs in as the streams principal with KAFKA_AUTH=scram, and as no one on PLAINTEXT', () => {
  const scram = { ...params, ...kafkaSqlLogin({ username: 'streams', password: 'pw' }) }
  for (const job of JOBS) {
    for (const [login, protocol] of [[scram, 'SASL_PLAINTEXT'], [params, 'PLAINTEXT']] as const) {
      const tables = jobStatements(job, login).filter(st => /'connector' = '(upsert-)?kafka'/.test(st))
      assert.ok(tables.length > 0, job)
      for (const st of tables) {
        assert.match(st, new RegExp(`'properties\\.security\\.protocol' = '${protocol}'`), `${job}: ${st.slice(0, 60)}`)
        if (protocol === 'SASL_PLAINTEXT') {
          assert.match(st, /'properties\.sasl\.mechanism' = 'SCRAM-SHA-512'/)
          assert.match(st, /'properties\.sasl\.jaas\.config' = 'org\.apache\.flink\.kafka\.shaded\.org\.apache\.kafka\.common\.security\.scram\.ScramLoginModule required username="streams" password="pw";'/)
        }
      }
    }
  }
})

test('every avro-confluent table logs in to the registry as the streams principal with KAFKA_AUTH=scram, and sends no credentials on PLAINTEXT', () => {
  const scram = { ...params, ...kafkaSqlLogin({ username: 'streams', password: 'pw' }) }
  for (const job of JOBS) {
    for (const [login, source, info] of [[scram, 'USER_INFO', 'streams:pw'], [params, '', '']] as const) {
      const tables = jobStatements(job, login).filter(st => st.includes("'value.format' = 'avro-confluent'"))
      // Each job reads orders.new or orders.confirmed and writes its streams.* output in Avro.
      assert.ok(tables.length >= 2, job)
      for (const st of tables) {
        assert.ok(st.includes(`'value.avro-confluent.basic-auth.credentials-source' = '${source}'`), `${job}: ${st.slice(0, 60)}`)
        assert.ok(st.includes(`'value.avro-confluent.basic-auth.user-info' = '${info}'`), `${job}: ${st.slice(0, 60)}`)
      }
    }
  }
})

test('the source tables join the jobs\' group, streams + suffix, unless a reader names its own (the gateway\'s SQL page logs in as the gateway)', () => {
  const groups = (p: Parameters<typeof readerStatements>[0]): string[] => [...new Set(readerStatements(p).join('\n').matchAll(/'properties\.group\.id' = '([^']+)'/g))].map(m => m[1]!)
  const jobs = groups(params)
  assert.ok(jobs.length > 0)
  assert.ok(jobs.every(g => g === 'streams-tabc'), jobs.join())
  const page = groups({ ...params, GROUP_ID: 'gateway-sql-page', ...kafkaSqlLogin({ username: 'gateway', password: 'p' }) })
  assert.ok(page.every(g => g === 'gateway-sql-page-tabc'), page.join())
  assert.match(readerStatements({ ...params, GROUP_ID: 'gateway-sql-page', ...kafkaSqlLogin({ username: 'gateway', password: 'p' }) }).join('\n'), /username="gateway"/)
})
