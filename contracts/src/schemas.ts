import { readFileSync, readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'

export const SCHEMA_DIR = fileURLToPath(new URL('../schemas/', import.meta.url))

export type AvroSchema = { type: 'record', name: string, namespace?: string, fields: unknown[], doc?: string }

// Schema files are named `<name>.v<N>.avsc`; the highest N is the one producers write.
export function schemaVersions (name: string): Array<{ version: number, schema: AvroSchema, file: string }> {
  const versions = readdirSync(SCHEMA_DIR)
    .map(file => ({ file, match: /^(.+)\.v(\d+)\.avsc$/.exec(file) }))
    .filter(({ match }) => match?.[1] === name)
    .map(({ file, match }) => ({
      file,
      version: Number(match![2]),
      schema: JSON.parse(readFileSync(join(SCHEMA_DIR, file), 'utf8')) as AvroSchema
    }))
    .sort((a, b) => a.version - b.version)
  if (versions.length === 0) throw new Error(`no schema file named ${name}.v<N>.avsc in ${SCHEMA_DIR}`)
  return versions
}

export function latestSchema (name: string): AvroSchema {
  return schemaVersions(name).at(-1)!.schema
}

export function schemaNames (): string[] {
  return [...new Set(readdirSync(SCHEMA_DIR).map(f => /^(.+)\.v\d+\.avsc$/.exec(f)?.[1]).filter((n): n is string => Boolean(n)))].sort()
}
