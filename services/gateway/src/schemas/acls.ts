import { Type } from 'typebox'
import { Nullable } from './common.ts'

// The Kafka page's ACL tab (/api/acls, the instructor's): the broker's ACLs as DescribeAcls answers,
// grouped by principal, each with what it lets the principal do in pt-BR. Read-only.

export const AclEntry = Type.Object({
  resource: Type.String({ description: 'TOPIC, GROUP, TRANSACTIONAL_ID, CLUSTER…' }),
  name: Type.String(),
  pattern: Type.String({ description: 'LITERAL (o nome exato, ou * para todos) ou PREFIXED (todo nome que começa assim)' }),
  operation: Type.String(),
  permission: Type.String({ description: 'ALLOW ou DENY (um DENY vence qualquer ALLOW)' }),
  host: Type.String(),
  meaning: Type.String({ description: 'o que esta ACL permite (ou nega), em pt-BR' })
})

export const AclPrincipal = Type.Object({
  principal: Type.String({ description: 'o usuário SCRAM, sem o User:' }),
  role: Type.String({ description: 'quem é, em pt-BR (um serviço da Vitrine, o registry…)' }),
  acls: Type.Array(AclEntry)
})

export const AclList = Type.Object({
  /** false: the broker answered SECURITY_DISABLED (no authorizer: KAFKA_AUTH=none), every client may do everything. */
  authorizer: Type.Boolean(),
  /** Why there is nothing to show and how to turn it on (pt-BR), or null. */
  note: Nullable(Type.String()),
  principals: Type.Array(AclPrincipal),
  total: Type.Integer()
})
