import assert from 'node:assert/strict'
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { test } from 'node:test'
import { EXERCISES } from '../../src/exercises/index.ts'
import { ROOT } from '../../src/settings.ts'

// Every relative link of the learning material resolves: a renamed page breaks this test, not a student's click.

function markdownUnder (dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { recursive: true }).map(String).filter(f => f.endsWith('.md')).map(f => join(dir, f))
}

function withoutFences (text: string): string {
  return text.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '')
}

/** The text outside code blocks and inline code: a link shown as code is not a link. */
function prose (text: string): string {
  return withoutFences(text).replace(/`[^`\n]*`/g, '')
}

/** GitHub's heading anchors: lower case, punctuation dropped (letters of any script kept), spaces to hyphens, repeats numbered. */
export function anchors (text: string): Set<string> {
  const seen = new Map<string, number>()
  const out = new Set<string>()
  for (const m of withoutFences(text).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = m[1]!.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').trim().replace(/\s/g, '-')
    const n = seen.get(base) ?? 0
    seen.set(base, n + 1)
    out.add(n === 0 ? base : `${base}-${n}`)
  }
  return out
}

/** [text](target) links, without the external ones. */
function links (text: string): string[] {
  return [...prose(text).matchAll(/\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)]
    .map(m => m[1]!)
    .filter(t => !/^[a-z][a-z0-9+.-]*:/i.test(t))
}

const files = [join(ROOT, 'README.md'), ...markdownUnder(join(ROOT, 'docs')), ...markdownUnder(join(ROOT, 'runbooks'))]

test('every relative link in README.md, docs/ and runbooks/ points to an existing file (and heading)', () => {
  const broken: string[] = []
  let checked = 0
  for (const file of files) {
    const text = readFileSync(file, 'utf8')
    for (const link of links(text)) {
      checked++
      const [path = '', anchor] = link.split('#') as [string, string | undefined]
      const target = path === '' ? file : resolve(dirname(file), decodeURIComponent(path))
      const where = `${relative(ROOT, file)} → ${link}`
      if (!existsSync(target)) {
        broken.push(`${where}: ${relative(ROOT, target)} não existe`)
        continue
      }
      if (anchor && target.endsWith('.md') && statSync(target).isFile() && !anchors(readFileSync(target, 'utf8')).has(decodeURIComponent(anchor).toLowerCase())) {
        broken.push(`${where}: nenhum título com a âncora #${anchor}`)
      }
    }
  }
  assert.ok(checked >= 50, `only ${checked} links found: is the link pattern still right?`)
  assert.deepEqual(broken, [], `links quebrados:\n${broken.join('\n')}`)
})

test('every exercise has its page, and every concept it practises has a page that links to it', () => {
  const problems: string[] = []
  for (const e of EXERCISES) {
    const page = `runbooks/exercicios/${e.slug}.md`
    if (!existsSync(join(ROOT, page))) problems.push(`exercício ${e.n}: ${page} não existe`)
    for (const c of e.concepts) {
      const concept = join(ROOT, 'docs/conceitos', `${c}.md`)
      if (!existsSync(concept)) problems.push(`exercício ${e.n}: docs/conceitos/${c}.md não existe`)
      else if (!links(readFileSync(concept, 'utf8')).some(l => l.split('#')[0] === `../../${page}`)) problems.push(`docs/conceitos/${c}.md não leva ao exercício ${e.n} (${page})`)
    }
  }
  assert.deepEqual(problems, [])
})

test('heading anchors follow GitHub: accents kept, punctuation dropped, repeats numbered', () => {
  const a = anchors('# A comparação\n## O plano de controle e o reset da loja\n## `make prefetch`: rede fraca\n## Passos\n## Passos\n```\n# not a heading\n```\n')
  assert.deepEqual([...a], ['a-comparação', 'o-plano-de-controle-e-o-reset-da-loja', 'make-prefetch-rede-fraca', 'passos', 'passos-1'])
})
