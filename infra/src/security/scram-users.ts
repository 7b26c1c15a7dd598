import { pbkdf2Sync, randomBytes } from 'node:crypto'
import { alterUserScramCredentialsV0, describeUserScramCredentialsV0, kGetBootstrapConnection } from '@platformatic/kafka'
import type { Admin, Connection } from '@platformatic/kafka'
import { scramPrincipals } from './acls.ts'

// A cluster formatted before a principal joined the catalog (the `drill` user, say) lacks its SCRAM
// user: `kafka-storage format --add-scram` only runs once. `up` adds the missing ones through the
// admin (AlterUserScramCredentials, what `kafka-configs --alter --entity-type users` sends), with the
// password already in <state>/secrets/kafka-users.json; users that exist are left alone (a rotated
// password stays rotated).

/** Kafka's ScramMechanism id of SCRAM-SHA-512 (SCRAM-SHA-256 is 1). */
const SCRAM_SHA_512 = 2
/** What `kafka-configs` uses by default for SCRAM-SHA-512 (its minimum is 4096). */
const ITERATIONS = 8192
/** RESOURCE_NOT_FOUND: DescribeUserScramCredentials' answer for a user without credentials. */
const RESOURCE_NOT_FOUND = 91

/** A connection of the Admin's pool to any live broker (it forwards the change to the controller). */
async function connection (admin: Admin): Promise<Connection> {
  const a = admin as unknown as Record<symbol, (cb: (err: Error | null, c?: Connection) => void) => void>
  return await new Promise<Connection>((resolve, reject) => {
    a[kGetBootstrapConnection]!.call(admin, (err, c) => { if (err || !c) reject(err ?? new Error('no broker answers')); else resolve(c) })
  })
}

/** The users among `users` that have no SCRAM-SHA-512 credential on the cluster. */
export async function missingScramUsers (admin: Admin, users: readonly string[] = scramPrincipals()): Promise<string[]> {
  const conn = await connection(admin)
  let results: Array<{ user: string, errorCode: number, credentialInfos: Array<{ mechanism: number }> }>
  try {
    results = (await describeUserScramCredentialsV0.api.async(conn, users.map(name => ({ name })))).results
  } catch (err) {
    // An unknown user is an error in the answer, which still lists every user.
    const answer = (err as { response?: { errorCode?: number, results?: typeof results } }).response
    if (answer?.results === undefined || answer.errorCode !== 0) throw err
    const other = answer.results.find(r => r.errorCode !== 0 && r.errorCode !== RESOURCE_NOT_FOUND)
    if (other) throw err
    results = answer.results
  }
  return users.filter(u => !results.some(r => r.user === u && r.errorCode === 0 && r.credentialInfos.some(c => c.mechanism === SCRAM_SHA_512)))
}

/**
 * Creates the SCRAM-SHA-512 users of `credentials` the cluster lacks (only those in `users`) and waits
 * until the broker knows them. Returns the names it created.
 */
export async function ensureScramUsers (admin: Admin, credentials: Record<string, string>, users: readonly string[] = scramPrincipals(), timeoutMs = 15_000): Promise<string[]> {
  const missing = await missingScramUsers(admin, users)
  if (missing.length === 0) return []
  const upsertions = missing.map(name => {
    const password = credentials[name]
    if (password === undefined) throw new Error(`no password for the Kafka user ${name} in kafka-users.json`)
    const salt = randomBytes(32)
    // SCRAM's SaltedPassword (RFC 5802 Hi): PBKDF2 with the mechanism's HMAC, the hash's length.
    return { name, mechanism: SCRAM_SHA_512, iterations: ITERATIONS, salt, saltedPassword: pbkdf2Sync(password, salt, ITERATIONS, 64, 'sha512') }
  })
  await alterUserScramCredentialsV0.api.async(await connection(admin), [], upsertions)
  // The controller committed them; the broker that authenticates logins applies them a moment later.
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const still = await missingScramUsers(admin, missing)
    if (still.length === 0) return missing
    if (Date.now() > deadline) throw new Error(`SCRAM users ${still.join(', ')} created but not yet known to the broker after ${timeoutMs / 1000} s`)
    await new Promise(resolve => setTimeout(resolve, 100))
  }
}

/** Removes a user's SCRAM-SHA-512 credential (a test's cluster "formatted before" the user existed). */
export async function deleteScramUser (admin: Admin, name: string): Promise<void> {
  await alterUserScramCredentialsV0.api.async(await connection(admin), [{ name, mechanism: SCRAM_SHA_512 }], [])
}
