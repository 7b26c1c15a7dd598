import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { cleanup } from '@vitrine/infra/testing'
import type { AfterHook } from '@vitrine/infra/testing'
import { matrixTable, runRow, sharedSaga, subsetRows } from '../../src/matrix.ts'
import type { RowEnv, RowResult } from '../../src/matrix.ts'

// The fault matrix's bounded subset (make test): SIGKILL of payment mid-saga, poison bytes,
// duplicate delivery by an offset replay, contention for the last units, the registry down. Each
// row ends with the saga invariants over its accepted orders: none lost, nothing applied twice.
// The whole matrix is test/full/fault-matrix.test.ts (make test-full, make chaos).

const file = { after }
const lifo: AfterHook = { after: fn => { cleanup(file, fn) } }
const shared = sharedSaga(lifo)
const results: RowResult[] = []
after(() => { if (results.length > 0) console.log(`\nMatriz de falhas (subconjunto do make test)\n${matrixTable(results)}\n`) })

for (const row of subsetRows(shared)) {
  test(`fault matrix: ${row.falha}`, { timeout: 300_000 }, async t => {
    const env: RowEnv = { shared: shared.get, t: { after: fn => { cleanup(t, fn) } }, note: line => { t.diagnostic(line); console.error(`[matriz] ${line}`) } }
    const r = await runRow(row, env)
    results.push(r)
    for (const n of r.notas) t.diagnostic(n)
    t.diagnostic(`${r.aceitos} aceitos, ${r.terminais} terminais, recuperação ${r.recuperacaoMs ?? '-'} ms, ${r.duracaoMs} ms no total`)
    assert.ok(r.aceitos > 0, 'the row got orders accepted (202)')
    assert.equal(r.perdidos, 0, 'no accepted order lost')
    assert.equal(r.duplicados, 0, 'no effect applied twice')
    assert.deepEqual(r.violacoes, [])
  })
}
