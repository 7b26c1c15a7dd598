import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { cleanup } from '@vitrine/infra/testing'
import type { AfterHook } from '@vitrine/infra/testing'
import { allRows, matrixTable, runRow, sharedSaga } from '../../src/matrix.ts'
import type { RowEnv, RowResult } from '../../src/matrix.ts'

// The whole fault matrix (make test-full, make chaos): every row of src/matrix.ts, each ending with
// the saga invariants (none of the accepted orders lost, no effect twice), then the pt-BR table.
// A row whose mechanism does not exist yet is shown as "pendente", never faked.

const file = { after }
const lifo: AfterHook = { after: fn => { cleanup(file, fn) } }
const shared = sharedSaga(lifo)
const results: RowResult[] = []
after(() => { if (results.length > 0) console.log(`\nMatriz de falhas\n${matrixTable(results)}\n`) })

// MATRIZ_LINHAS=veneno,postgres runs only those rows (by id): one drill of the matrix at a time.
const only = (process.env.MATRIZ_LINHAS ?? '').split(',').map(s => s.trim()).filter(s => s !== '')

for (const row of allRows(shared).filter(r => only.length === 0 || only.includes(r.id))) {
  test(`fault matrix: ${row.falha}`, { timeout: 600_000 }, async t => {
    const env: RowEnv = { shared: shared.get, t: { after: fn => { cleanup(t, fn) } }, note: line => { t.diagnostic(line); console.error(`[matriz] ${line}`) } }
    const r = await runRow(row, env)
    results.push(r)
    if (r.pendente !== undefined) {
      t.diagnostic(`pendente: ${r.pendente}`)
      return
    }
    for (const n of r.notas) t.diagnostic(n)
    t.diagnostic(`${r.aceitos} aceitos, ${r.terminais} terminais, recuperação ${r.recuperacaoMs ?? '-'} ms, ${r.duracaoMs} ms no total`)
    assert.ok(r.aceitos > 0, 'the row got orders accepted (202)')
    assert.equal(r.perdidos, 0, 'no accepted order lost')
    assert.equal(r.duplicados, 0, 'no effect applied twice')
    assert.deepEqual(r.violacoes, [])
  })
}
