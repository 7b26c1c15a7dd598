import { Type } from 'typebox'
import { LAB_NAME_PATTERN, LAB_SUBJECT_PATTERN, LEVELS } from '../lib/lab-schemas.ts'
import { Nullable } from './common.ts'

// The schema-evolution lab's wire shapes (/api/lab/schemas/*).

export const Level = Type.Union([
  Type.Literal('BACKWARD'), Type.Literal('BACKWARD_TRANSITIVE'), Type.Literal('FORWARD'), Type.Literal('FORWARD_TRANSITIVE'), Type.Literal('FULL'), Type.Literal('FULL_TRANSITIVE')
], { description: `the subject's compatibility rule in the registry: ${LEVELS.join(', ')}` })

export const LabSubjectParams = Type.Object({
  subject: Type.String({ pattern: LAB_SUBJECT_PATTERN, maxLength: 60, description: 'a lab subject, lab.<name>-value' })
}, { additionalProperties: false })

export const SchemaText = Type.String({ minLength: 1, maxLength: 100_000, description: 'the proposed Avro schema, as JSON text' })

export const SubjectsResult = Type.Object({
  sources: Type.Array(Type.Object({ subject: Type.String(), versions: Type.Array(Type.Integer()) }), { description: 'the shop\'s subjects (read only): a lab subject starts as a copy of one' }),
  lab: Type.Array(Type.Object({ subject: Type.String(), versions: Type.Array(Type.Integer()) }))
})

export const CreateBody = Type.Object({
  from: Type.String({ minLength: 1, maxLength: 300, description: 'the shop subject whose latest schema is copied' }),
  name: Type.String({ pattern: LAB_NAME_PATTERN, description: 'the lab subject is lab.<name>-value, on topic lab.<name>' }),
  compatibility: Type.Optional(Level)
}, { additionalProperties: false })

export const VersionSchema = Type.Object({ version: Type.Integer(), id: Type.Integer(), schema: Type.Unknown(), sample: Type.Unknown({ description: 'a value for a record of this version: defaults, or an example per type' }) })

export const SubjectDetail = Type.Object({
  subject: Type.String(),
  topic: Type.String(),
  compatibility: Level,
  versions: Type.Array(VersionSchema)
})

export const CompatibilityBody = Type.Object({ compatibility: Level }, { additionalProperties: false })

export const SchemaBody = Type.Object({ schema: SchemaText }, { additionalProperties: false })

const Cause = Type.Object({ description: Type.String(), context: Type.String() })

export const CheckResult = Type.Object({
  subject: Type.String(),
  compatibility: Level,
  latest: Type.Integer({ description: 'the latest version (the one checked against, or the last of all under a _TRANSITIVE rule)' }),
  compatible: Type.Boolean(),
  registry: Type.Object({ path: Type.String({ description: 'what was asked: POST /compatibility/subjects/<s>/versions/latest, or /versions (every version) under a _TRANSITIVE rule' }), status: Type.Integer(), body: Type.Unknown() }, { description: 'the registry\'s answer, as it came' }),
  causes: Type.Array(Cause, { description: 'the fields Apicurio names in a dry run of the registration' }),
  reading: Type.String({ description: 'what the verdict means, in pt-BR' })
})

export const RegisterResult = Type.Object({ subject: Type.String(), version: Type.Integer(), id: Type.Integer(), versions: Type.Array(Type.Integer()) })

export const ProduceBody = Type.Object({
  value: Type.Optional(Type.Unknown({ description: 'the record, as JSON; omitted: a sample of the writer version' })),
  writerVersion: Type.Optional(Type.Integer({ minimum: 1, description: 'the version the producer writes with; default the latest' })),
  readerVersion: Type.Optional(Type.Integer({ minimum: 1, description: 'the version the old consumer reads with; default the one before the writer\'s' }))
}, { additionalProperties: false })

export const ProduceResult = Type.Object({
  topic: Type.String(),
  partition: Type.Integer(),
  offset: Type.Integer(),
  wire: Type.Object({ magic: Type.Integer(), schemaId: Type.Integer(), bytes: Type.Integer(), hex: Type.String({ description: 'the record\'s first bytes: magic byte, schema id, Avro body' }) }),
  writer: Type.Object({ version: Type.Integer(), id: Type.Integer(), value: Type.Unknown({ description: 'the record read back from the topic, decoded with the writer\'s schema (fetched by the id it carries)' }) }),
  reader: Type.Object({
    version: Type.Integer(),
    id: Type.Integer(),
    value: Type.Unknown({ description: 'the same bytes read by a consumer on this version: Avro schema resolution, writer → reader' }),
    error: Nullable(Type.String({ description: 'why this reader cannot read the writer\'s record (avsc)' })),
    defaulted: Type.Array(Type.String(), { description: 'the reader\'s fields the writer lacks: they take their default' }),
    dropped: Type.Array(Type.String(), { description: 'the writer\'s fields the reader lacks: they are skipped' })
  })
})
