import { ShopError } from '@vitrine/service-kit'

// Reads the Schema Registry through its Confluent-compatible REST API: subjects, their versions
// and the schema of one version. Read-only.

export interface SubjectVersions { subject: string, versions: number[] }
export interface SchemaVersion { subject: string, version: number, id: number, schemaType: string, schema: unknown }

export class RegistryBrowser {
  constructor (private readonly url: string, private readonly timeoutMs = 5_000) {}

  private async get<T> (path: string, notFound: () => ShopError): Promise<T> {
    let res: Response
    try {
      res = await fetch(new URL(path, this.url.endsWith('/') ? this.url : this.url + '/'), { signal: AbortSignal.timeout(this.timeoutMs), headers: { accept: 'application/vnd.schemaregistry.v1+json, application/json' } })
    } catch (err) {
      throw new ShopError('SHOP_ERR_UPSTREAM_UNAVAILABLE', `schema registry is not reachable: ${(err as Error).message}`, 502, { service: 'schema-registry', url: this.url })
    }
    if (res.status === 404) throw notFound()
    if (!res.ok) throw new ShopError('SHOP_ERR_UPSTREAM', `schema registry answered ${res.status}: ${(await res.text()).slice(0, 300)}`, 502)
    return await res.json() as T
  }

  async subjects (): Promise<string[]> {
    return (await this.get<string[]>('subjects', () => new ShopError('SHOP_ERR_UPSTREAM', 'schema registry has no subjects endpoint', 502))).sort()
  }

  async versions (subject: string): Promise<number[]> {
    return await this.get<number[]>(`subjects/${encodeURIComponent(subject)}/versions`, () => new ShopError('SHOP_ERR_SUBJECT_NOT_FOUND', `subject ${subject} does not exist`, 404, { subject }))
  }

  /**
   * The versions of each named subject that exists (asked one by one: a registry's subject list can
   * be capped, Apicurio's Confluent API lists at most 1000), `concurrency` calls at a time.
   */
  async subjectsWithVersions (names: readonly string[], concurrency = 8): Promise<SubjectVersions[]> {
    const out: SubjectVersions[] = []
    for (let i = 0; i < names.length; i += concurrency) {
      const chunk = names.slice(i, i + concurrency)
      const got = await Promise.all(chunk.map(async subject => ({ subject, versions: await this.versions(subject).catch(() => null) })))
      for (const g of got) if (g.versions !== null && g.versions.length > 0) out.push({ subject: g.subject, versions: g.versions })
    }
    return out
  }

  async version (subject: string, version: number | 'latest'): Promise<SchemaVersion> {
    const v = await this.get<{ subject: string, version: number, id: number, schemaType?: string, schema: string }>(
      `subjects/${encodeURIComponent(subject)}/versions/${version}`,
      () => new ShopError('SHOP_ERR_SUBJECT_NOT_FOUND', `subject ${subject} has no version ${version}`, 404, { subject, version })
    )
    let schema: unknown = v.schema
    try {
      schema = JSON.parse(v.schema)
    } catch {
      // Not JSON (a Protobuf schema): shown as text.
    }
    return { subject: v.subject, version: v.version, id: v.id, schemaType: v.schemaType ?? 'AVRO', schema }
  }
}
