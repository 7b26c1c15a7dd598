import { ProtocolError, Writer, createAPI, kGetBootstrapConnection, metadataV12 } from '@platformatic/kafka'
import type { Admin, Connection } from '@platformatic/kafka'
import { ShopError } from '@vitrine/service-kit'
import type { ElectionResultType } from '@vitrine/service-kit/control-actions'

// A preferred-leader election (what `kafka-leader-election --election-type preferred` sends), done
// by the control plane as the admin: ElectLeaders needs ALTER on the cluster, which the gateway's
// principal lacks on purpose (acls.ts). The replication lab's button comes here through the gateway.

const ELECT_PREFERRED = 0
/** ELECTION_NOT_NEEDED: the partition's leader already is its preferred replica. */
const ELECTION_NOT_NEEDED = 84
const UNKNOWN_TOPIC_OR_PARTITION = 3

/*
  ElectLeaders Request (Version: 2) => election_type [topic_partitions] timeout_ms TAG_BUFFER
    election_type => INT8
    topic_partitions => topic [partitions] TAG_BUFFER   (null: every partition)
    timeout_ms => INT32
  @platformatic/kafka's Admin has no electLeaders; the request is small, so it is written here.
*/
interface ElectAnswer { errorCode: number, results: Array<{ topic: string, partitions: Array<{ partition: number, errorCode: number, errorMessage: string | null }> }> }
type ElectTopics = Array<{ topic: string, partitions: number[] }>
const electLeadersV2 = createAPI<[electionType: number, topics: ElectTopics | null, timeoutMs: number], ElectAnswer>(43, 2,
  (electionType: number, topics: ElectTopics | null, timeoutMs: number) => {
    return Writer.create()
      .appendInt8(electionType)
      .appendArray(topics, (w, t) => { w.appendString(t.topic).appendArray(t.partitions, (w2, p) => { w2.appendInt32(p) }, true, false) })
      .appendInt32(timeoutMs)
      .appendTaggedFields()
  },
  (_id, _key, _version, r) => {
    r.readInt32() // throttle_time_ms
    const errorCode = r.readInt16()
    const results = r.readArray(r1 => ({
      topic: r1.readString(),
      partitions: r1.readArray(r2 => ({ partition: r2.readInt32(), errorCode: r2.readInt16(), errorMessage: r2.readNullableString() }))
    }))
    return { errorCode, results }
  })

/** Kafka's name of an error code (NOT_CONTROLLER, UNKNOWN_TOPIC_OR_PARTITION…), as the lab shows it. */
function errorName (code: number): string {
  try {
    return (new ProtocolError(code) as unknown as { apiId?: string }).apiId ?? `ERROR_${code}`
  } catch {
    return `ERROR_${code}`
  }
}

/** A connection of the Admin's pool to any live broker (it forwards ElectLeaders to the controller). */
async function connection (admin: Admin): Promise<Connection> {
  const a = admin as unknown as Record<symbol, (cb: (err: Error | null, c?: Connection) => void) => void>
  return await new Promise<Connection>((resolve, reject) => {
    a[kGetBootstrapConnection]!.call(admin, (err, c) => { if (err || !c) reject(err ?? new Error('no broker answers')); else resolve(c) })
  })
}

/** Every topic with its partition count, in one Metadata answer (Kafka's internal topics too; @platformatic/kafka's Admin leaves them out). */
async function allTopics (conn: Connection): Promise<Map<string, number>> {
  let topics: Array<{ name?: string | null, partitions: unknown[] }>
  try {
    topics = (await metadataV12.api.async(conn, null, false, false)).topics
  } catch (err) {
    // A partition without a leader (a broker stopped in the lab) is an error in the answer, which still lists it.
    const answer = (err as { response?: { topics?: typeof topics } }).response
    if (answer?.topics === undefined) throw err
    topics = answer.topics
  }
  return new Map(topics.filter(t => typeof t.name === 'string').map(t => [t.name!, t.partitions.length]))
}

/**
 * A preferred-leader election on every partition of `topics` (all the cluster's, Kafka's internal
 * topics included, when left out). Every partition is named: for a null list the controller leaves
 * out those already on their preferred leader, and the lab counts them.
 */
export async function electPreferredLeaders (admin: Admin, topics?: readonly string[]): Promise<ElectionResultType> {
  const conn = await connection(admin)
  const existing = await allTopics(conn)
  const missing = (topics ?? []).filter(t => !existing.has(t))
  if (missing.length > 0) throw new ShopError('SHOP_ERR_TOPIC_NOT_FOUND', `body.topics: no topic ${missing.join(', ')} on this cluster`, 404, { field: 'body.topics', topics: missing })
  const request = (topics ?? [...existing.keys()])
    .map(topic => ({ topic, partitions: Array.from({ length: existing.get(topic) ?? 0 }, (_, i) => i) }))
    .filter(t => t.partitions.length > 0)
  const result: ElectionResultType = { elected: [], notNeeded: 0, failed: [] }
  if (request.length === 0) return result
  const answer = await electLeadersV2.async(conn, ELECT_PREFERRED, request, 10_000)
  if (answer.errorCode !== 0) throw new ShopError('SHOP_ERR_LAB_ELECTION', `the controller refused the election (${errorName(answer.errorCode)})`, 409, { errorCode: answer.errorCode, code: errorName(answer.errorCode) })
  for (const t of answer.results) {
    for (const p of t.partitions) {
      if (p.errorCode === 0) result.elected.push({ topic: t.topic, partition: p.partition })
      else if (p.errorCode === ELECTION_NOT_NEEDED) result.notNeeded++
      // A topic deleted since the Metadata answer (another client's): gone, so neither elected nor failed.
      else if (p.errorCode === UNKNOWN_TOPIC_OR_PARTITION) continue
      else result.failed.push({ topic: t.topic, partition: p.partition, code: errorName(p.errorCode), message: p.errorMessage })
    }
  }
  return result
}
