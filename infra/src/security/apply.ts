import type { Acl, Admin } from '@platformatic/kafka'
import { AclOperations, AclPermissionTypes, ResourcePatternTypes, ResourceTypes } from '@platformatic/kafka'
import type { AclOperation, AclPattern, AclPermission, AclResource, AclRule } from './acls.ts'
import { DRILL_PRINCIPAL, aclKey } from './acls.ts'

// Puts the derived ACLs (acls.ts) on a running cluster through the admin principal, like
// applyCatalog does for topics: creates what is missing, and reports (never silently removes) an
// ACL of one of our principals that the catalog no longer derives: a grant made by hand for a drill
// stays until it is revoked, visibly (`infra/bin/kafka acls --remove`).

export interface AclReport { created: number, unchanged: number, extra: Array<Omit<AclRule, 'why'>> }

const byLabel = <T extends Record<string, number>>(table: T) => (label: string): T[keyof T] => {
  const v = table[label as keyof T]
  if (v === undefined) throw new Error(`unknown ACL label ${label}`)
  return v
}
const resourceType = byLabel(ResourceTypes)
const patternType = byLabel(ResourcePatternTypes)
const operationType = byLabel(AclOperations)
const permissionType = byLabel(AclPermissionTypes)

const labelOf = (table: Record<string, number>, value: number): string => Object.entries(table).find(([, v]) => v === value)?.[0] ?? String(value)

export function toKafkaAcl (r: Omit<AclRule, 'why'>): Acl {
  return {
    resourceType: resourceType(r.resource),
    resourceName: r.name,
    resourcePatternType: patternType(r.pattern),
    principal: `User:${r.principal}`,
    host: '*',
    operation: operationType(r.operation),
    permissionType: permissionType(r.permission)
  }
}

/** Every ACL on the cluster, in our shape (principals without `User:`). */
export async function listAcls (admin: Admin): Promise<Array<Omit<AclRule, 'why'>>> {
  const resources = await admin.describeAcls({
    filter: { resourceType: ResourceTypes.ANY, resourceName: null, resourcePatternType: ResourcePatternTypes.ANY, principal: null, host: null, operation: AclOperations.ANY, permissionType: AclPermissionTypes.ANY }
  })
  return resources.flatMap(res => res.acls.map(a => ({
    principal: a.principal.replace(/^User:/, ''),
    resource: labelOf(ResourceTypes, res.resourceType) as AclResource,
    name: res.resourceName,
    pattern: labelOf(ResourcePatternTypes, res.resourcePatternType) as AclPattern,
    operation: labelOf(AclOperations, a.operation) as AclOperation,
    permission: labelOf(AclPermissionTypes, a.permissionType) as AclPermission
  })))
}

/** Creates the rules the cluster lacks; `extra` lists the ACLs of the same principals (and drill's) that `rules` does not hold. */
export async function applyAcls (admin: Admin, rules: readonly AclRule[]): Promise<AclReport> {
  const present = await listAcls(admin)
  const have = new Set(present.map(aclKey))
  const missing = rules.filter(r => !have.has(aclKey(r)))
  // One request per few hundred entries keeps each well under the broker's request size.
  for (let i = 0; i < missing.length; i += 200) await admin.createAcls({ creations: missing.slice(i, i + 200).map(toKafkaAcl) })
  if (missing.length > 0) await untilBroker(admin, rules, true)
  const wanted = new Set(rules.map(aclKey))
  // drill has no rules of its own: any ACL it holds is a drill's grant left behind (a plane killed mid-drill).
  const principals = new Set([...rules.map(r => r.principal), DRILL_PRINCIPAL])
  const extra = present.filter(p => principals.has(p.principal) && !wanted.has(aclKey(p)))
  return { created: missing.length, unchanged: rules.length - missing.length, extra }
}

/**
 * The controller commits new ACLs (and deletions) before a broker's authorizer has loaded them from
 * the metadata log; a client refused (or let through) in between would be so for nothing. DescribeAcls
 * is answered from the broker's own authorizer, so once it lists them all (or none), that is in force there.
 */
async function untilBroker (admin: Admin, rules: ReadonlyArray<Omit<AclRule, 'why'>>, present: boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const have = new Set((await listAcls(admin)).map(aclKey))
    const wrong = rules.filter(r => have.has(aclKey(r)) !== present)
    if (wrong.length === 0) return
    if (Date.now() > deadline) throw new Error(`${wrong.length} ACL(s) ${present ? 'created but not yet in force' : 'deleted but still in force'} on the broker after ${timeoutMs / 1000} s (first: ${aclKey(wrong[0]!)})`)
    await new Promise(resolve => setTimeout(resolve, 100))
  }
}

/** Deletes exactly these rules (a test prefix's ACLs when the test ends, a drill's grant), once the broker no longer holds them. */
export async function revokeAcls (admin: Admin, rules: ReadonlyArray<Omit<AclRule, 'why'>>): Promise<void> {
  for (let i = 0; i < rules.length; i += 200) {
    await admin.deleteAcls({ filters: rules.slice(i, i + 200).map(toKafkaAcl) })
  }
  if (rules.length > 0) await untilBroker(admin, rules, false)
}

export function formatAclReport (r: AclReport): string[] {
  const lines = [`ACLs: ${r.created} criadas, ${r.unchanged} já existiam`]
  for (const e of r.extra.filter(e => e.principal === DRILL_PRINCIPAL)) lines.push(`ACL de uma simulação de caos que ficou sem revogar (o plano de controle parou no meio dela?): User:${e.principal} ${e.permission} ${e.operation} em ${e.resource} ${e.pattern} ${e.name}; remova com infra/bin/kafka acls --remove`)
  for (const e of r.extra.filter(e => e.principal !== DRILL_PRINCIPAL)) lines.push(`ACL a mais (não vem do catálogo; remova com infra/bin/kafka acls --remove se não for de um exercício): User:${e.principal} ${e.permission} ${e.operation} em ${e.resource} ${e.pattern} ${e.name}`)
  return lines
}
