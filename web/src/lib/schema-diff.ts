// What changed between two versions of an Avro record schema, field by field (top level), in
// pt-BR: the registry page shows it beside each version after the first.

interface Field { name: string, type: unknown, default?: unknown }

export interface FieldChange { kind: 'added' | 'removed' | 'changed', field: string, text: string }

function fieldsOf (schema: unknown): Field[] {
  const fields = (schema as { fields?: unknown } | null)?.fields
  return Array.isArray(fields) ? fields.filter((f): f is Field => typeof (f as Field)?.name === 'string') : []
}

function typeText (type: unknown): string {
  if (typeof type === 'string') return type
  if (Array.isArray(type)) return type.map(typeText).join(' | ')
  const t = type as { type?: unknown, name?: unknown, items?: unknown }
  if (t?.type === 'array') return `array<${typeText(t.items)}>`
  return typeof t?.name === 'string' ? t.name : String(t?.type ?? '?')
}

const defaultText = (f: Field): string => Object.hasOwn(f, 'default') ? `padrão ${JSON.stringify(f.default)}` : 'sem padrão'

export function schemaDiff (before: unknown, after: unknown): FieldChange[] {
  const old = new Map(fieldsOf(before).map(f => [f.name, f]))
  const next = new Map(fieldsOf(after).map(f => [f.name, f]))
  const out: FieldChange[] = []
  for (const [name, f] of next) {
    const was = old.get(name)
    if (!was) {
      out.push({ kind: 'added', field: name, text: `campo novo ${name} (${typeText(f.type)}, ${defaultText(f)})` })
    } else if (JSON.stringify(was.type) !== JSON.stringify(f.type) || JSON.stringify(was.default) !== JSON.stringify(f.default)) {
      out.push({ kind: 'changed', field: name, text: `${name}: ${typeText(was.type)}, ${defaultText(was)} → ${typeText(f.type)}, ${defaultText(f)}` })
    }
  }
  for (const [name, f] of old) if (!next.has(name)) out.push({ kind: 'removed', field: name, text: `campo removido ${name} (${typeText(f.type)}, ${defaultText(f)})` })
  return out
}
