import type { Admin } from '@platformatic/kafka'
import { AclOperations, AclPermissionTypes, ResourcePatternTypes, ResourceTypes } from '@platformatic/kafka'
import { SERVICES } from '@vitrine/contracts'
import type { Static } from 'typebox'
import type { AclEntry, AclList, AclPrincipal } from '../schemas/acls.ts'

// The ACL tab of the Kafka page: what the broker's own authorizer holds (DescribeAcls, answered by
// the broker, never our derivation in infra/src/security/acls.ts), grouped by principal and
// explained in pt-BR. The gateway needs CLUSTER DESCRIBE for it (acls.ts gives it, read-only).

export interface RawAcl { principal: string, resource: string, name: string, pattern: string, operation: string, permission: string, host: string }

type Entry = Static<typeof AclEntry>
type Principal = Static<typeof AclPrincipal>
export type AclListType = Static<typeof AclList>

/** Without an authorizer (KAFKA_AUTH=none) the broker answers DescribeAcls with SECURITY_DISABLED (54). */
export const NO_AUTHORIZER_NOTE = 'Este broker não tem autorizador (KAFKA_AUTH=none): ele não confere usuário nem ACL, e qualquer cliente que alcance a porta pode ler, escrever e apagar qualquer tópico. Para ligar usuários SCRAM e ACLs por serviço, pare tudo (make down) e suba de novo sem KAFKA_AUTH=none, que é o padrão do make demo, ou explicitamente: KAFKA_AUTH=scram make demo (runbooks/07-seguranca.md).'

const labelOf = (table: Record<string, number>, value: number): string => Object.entries(table).find(([, v]) => v === value)?.[0] ?? String(value)

const WHAT: Record<string, Record<string, string>> = {
  TOPIC: {
    READ: 'lê as mensagens (Fetch) e consulta offsets',
    WRITE: 'publica mensagens (Produce)',
    DESCRIBE: 'vê o tópico nos metadados: partições, líderes, offsets',
    CREATE: 'cria o tópico',
    DELETE: 'apaga o tópico',
    ALTER: 'aumenta o número de partições',
    DESCRIBE_CONFIGS: 'lê as configurações do tópico',
    ALTER_CONFIGS: 'muda as configurações do tópico',
    ALL: 'tudo'
  },
  GROUP: {
    READ: 'entra no grupo de consumo e grava os offsets dele',
    DESCRIBE: 'vê os membros, as partições e os offsets do grupo',
    DELETE: 'apaga o grupo',
    ALL: 'tudo'
  },
  TRANSACTIONAL_ID: {
    WRITE: 'abre e confirma transações com este transactional.id (exactly-once)',
    DESCRIBE: 'consulta o estado das transações',
    ALL: 'tudo'
  },
  CLUSTER: {
    DESCRIBE: 'lê o cluster: quórum KRaft, diretórios de log e as próprias ACLs',
    DESCRIBE_CONFIGS: 'lê as configurações dos brokers',
    ALTER: 'altera o cluster, inclusive cria e apaga ACLs',
    ALTER_CONFIGS: 'muda as configurações dos brokers',
    CREATE: 'cria tópicos em qualquer nome',
    IDEMPOTENT_WRITE: 'produtor idempotente em qualquer tópico que possa escrever',
    CLUSTER_ACTION: 'ações entre brokers (replicação, controller)',
    ALL: 'tudo'
  }
}

const KIND: Record<string, string> = { TOPIC: 'tópico', GROUP: 'grupo', TRANSACTIONAL_ID: 'transactional.id', CLUSTER: 'cluster' }

/** One ACL in pt-BR: `publica mensagens (Produce) — tópico orders.confirmed`. */
export function aclMeaning (a: Pick<RawAcl, 'resource' | 'name' | 'pattern' | 'operation' | 'permission'>): string {
  const what = WHAT[a.resource]?.[a.operation] ?? `${a.operation.toLowerCase()}`
  const kind = KIND[a.resource] ?? a.resource.toLowerCase()
  const where = a.resource === 'CLUSTER'
    ? 'o cluster'
    : a.name === '*' && a.pattern === 'LITERAL'
      ? `todo ${kind}`
      : a.pattern === 'PREFIXED' ? `todo ${kind} cujo nome começa com ${a.name}` : `${kind} ${a.name}`
  return a.permission === 'DENY' ? `NEGADO: ${what} — ${where} (uma negação vence qualquer permissão)` : `${what} — ${where}`
}

function roleOf (principal: string): string {
  if ((SERVICES as readonly string[]).includes(principal)) return `serviço ${principal} da Vitrine`
  if (principal === 'registry') return 'Schema Registry (Apicurio): guarda os schemas nos tópicos dele'
  if (principal === 'admin') return 'administrador (super usuário: não precisa de ACL)'
  if (principal === '*') return 'qualquer usuário'
  return 'principal de fora do catálogo (uma concessão de exercício?)'
}

const RESOURCE_ORDER = ['CLUSTER', 'TOPIC', 'GROUP', 'TRANSACTIONAL_ID']

/** By principal (services in the catalog's order, then the others by name); inside, by resource, name and operation. */
export function groupAcls (acls: readonly RawAcl[]): Principal[] {
  const by = new Map<string, Entry[]>()
  for (const a of acls) {
    const principal = a.principal.replace(/^User:/, '')
    const list = by.get(principal) ?? []
    list.push({ resource: a.resource, name: a.name, pattern: a.pattern, operation: a.operation, permission: a.permission, host: a.host, meaning: aclMeaning(a) })
    by.set(principal, list)
  }
  const rank = (p: string): number => {
    const i = (SERVICES as readonly string[]).indexOf(p)
    return i >= 0 ? i : SERVICES.length
  }
  const resourceRank = (r: string): number => RESOURCE_ORDER.includes(r) ? RESOURCE_ORDER.indexOf(r) : RESOURCE_ORDER.length
  return [...by.entries()]
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
    .map(([principal, entries]) => ({
      principal,
      role: roleOf(principal),
      acls: entries.sort((x, y) => resourceRank(x.resource) - resourceRank(y.resource) || x.name.localeCompare(y.name) || x.permission.localeCompare(y.permission) || x.operation.localeCompare(y.operation))
    }))
}

/** True for the broker's SECURITY_DISABLED answer (error 54), however @platformatic/kafka wraps it. */
export function securityDisabled (err: unknown): boolean {
  const seen = new Set<unknown>()
  const walk = (e: unknown): boolean => {
    if (e === null || typeof e !== 'object' || seen.has(e)) return false
    seen.add(e)
    const x = e as { apiId?: string, apiCode?: number, errors?: unknown[], cause?: unknown }
    if (x.apiId === 'SECURITY_DISABLED' || x.apiCode === 54) return true
    return (x.errors ?? []).some(walk) || walk(x.cause)
  }
  return walk(err)
}

/** Every ACL of the cluster, as its broker holds them. */
export async function readAcls (admin: Admin): Promise<AclListType> {
  let resources
  try {
    resources = await admin.describeAcls({
      filter: { resourceType: ResourceTypes.ANY, resourceName: null, resourcePatternType: ResourcePatternTypes.ANY, principal: null, host: null, operation: AclOperations.ANY, permissionType: AclPermissionTypes.ANY }
    })
  } catch (err) {
    if (securityDisabled(err)) return { authorizer: false, note: NO_AUTHORIZER_NOTE, principals: [], total: 0 }
    throw err
  }
  const raw: RawAcl[] = resources.flatMap(res => res.acls.map(a => ({
    principal: a.principal,
    resource: labelOf(ResourceTypes, res.resourceType),
    name: res.resourceName,
    pattern: labelOf(ResourcePatternTypes, res.resourcePatternType),
    operation: labelOf(AclOperations, a.operation),
    permission: labelOf(AclPermissionTypes, a.permissionType),
    host: a.host
  })))
  return {
    authorizer: true,
    note: raw.length === 0 ? 'O broker confere ACLs, mas não tem nenhuma: só os super usuários (admin) conseguem fazer algo.' : null,
    principals: groupAcls(raw),
    total: raw.length
  }
}
