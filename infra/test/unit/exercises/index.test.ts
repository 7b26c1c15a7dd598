import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { boardFile, readBoard } from '../../../src/exercises/board.ts'
import { EXERCISES, exercise } from '../../../src/exercises/index.ts'
import { ROOT } from '../../../src/settings.ts'

// The course's catalog: numbered 1..N in order, the index page listing every one; and the
// scoreboard file read forgivingly.

test('every exercise is numbered in order, with a unique slug starting with its number, a real title and its concepts (pages: docs-links.test.ts)', () => {
  assert.ok(EXERCISES.length >= 12)
  EXERCISES.forEach((e, i) => {
    assert.equal(e.n, i + 1, `exercise ${i + 1} in place ${i}`)
    assert.equal(exercise(e.n), e)
    assert.match(e.slug, new RegExp(`^${String(e.n).padStart(2, '0')}-[a-z0-9-]+$`), e.slug)
    assert.ok(e.title.length > 0 && !/em construção/.test(e.title), `exercise ${e.n} has a real title`)
    assert.ok(e.concepts.length > 0, `exercise ${e.n} names its concepts`)
  })
  assert.equal(new Set(EXERCISES.map(e => e.slug)).size, EXERCISES.length)
  assert.equal(exercise(0), undefined)
})

test('the exercises\' index page links every exercise\'s page and its make command', () => {
  const index = readFileSync(join(ROOT, 'runbooks/exercicios/README.md'), 'utf8')
  for (const e of EXERCISES) {
    assert.ok(index.includes(`(${e.slug}.md)`), `README links ${e.slug}.md`)
    assert.ok(index.includes(`make exercicio N=${e.n}\``), `README shows make exercicio N=${e.n}`)
  }
})

test('the board: a missing or broken file is an empty board, a saved one is read back per exercise', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vitrine-board-'))
  try {
    const empty = readBoard(dir)
    assert.deepEqual(empty.map(s => s.n), EXERCISES.map(e => e.n))
    assert.ok(empty.every(s => !s.done && s.doneAt === null && s.setupAt === null && s.missing.length === 0))
    writeFileSync(boardFile(dir), '{ not json')
    assert.equal(readBoard(dir).filter(s => s.done).length, 0)
    writeFileSync(boardFile(dir), JSON.stringify({ 2: { n: 2, done: true, doneAt: '2026-11-30T10:00:00.000Z', missing: [] }, 99: { n: 99, done: true } }))
    const read = readBoard(dir)
    assert.equal(read.length, EXERCISES.length, 'an exercise that no longer exists is dropped')
    assert.equal(read.find(s => s.n === 2)?.done, true)
    assert.equal(read.find(s => s.n === 2)?.checkedAt, null, 'fields the file lacks get their defaults')
    assert.equal(read.find(s => s.n === 1)?.done, false)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
