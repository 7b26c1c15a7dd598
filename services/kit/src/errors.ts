// Our own errors carry a stable code (SHOP_ERR_*) that clients and tests can rely on.
export class ShopError extends Error {
  constructor (readonly code: `SHOP_ERR_${string}`, message: string, readonly statusCode = 500, readonly details?: Record<string, unknown>) {
    super(message)
  }
}

/**
 * Every SHOP_ERR_* code an HTTP answer can carry, with its status and when, in pt-BR: the services'
 * OpenAPI documents list them (plugins/openapi.ts) and a test checks each code the services throw is here.
 */
export const HTTP_ERROR_CODES: Record<`SHOP_ERR_${string}`, { status: number, meaning: string }> = {
  SHOP_ERR_VALIDATION: { status: 400, meaning: 'a requisição quebra uma regra do schema (ou do banco); `errors` nomeia cada campo e regra' },
  SHOP_ERR_BAD_REQUEST: { status: 400, meaning: 'JSON inválido, corpo vazio ou requisição HTTP malformada' },
  SHOP_ERR_BROKER_NOT_FOUND: { status: 404, meaning: 'o laboratório de replicação cita um broker que este cluster não tem' },
  SHOP_ERR_LAB_NEEDS_THREE_BROKERS: { status: 409, meaning: 'o laboratório de replicação precisa de 3 brokers (make demo BROKERS=3)' },
  SHOP_ERR_LAB_TOPIC: { status: 409, meaning: 'o broker recusou criar o tópico do laboratório' },
  SHOP_ERR_LAB_ELECTION: { status: 409, meaning: 'o controller recusou a eleição de líder preferido' },
  SHOP_ERR_KAFKA_READ_REFUSED: { status: 403, meaning: 'o Kafka recusou ler este tópico ao usuário do serviço (TOPIC_AUTHORIZATION_FAILED: sem ACL de READ; com KAFKA_AUTH=scram, veja Kafka › ACLs)' },
  SHOP_ERR_KAFKA_AUTHENTICATION: { status: 503, meaning: 'o Kafka recusou o login SASL/SCRAM do serviço (usuário ou senha errados)' },
  SHOP_ERR_UNKNOWN_PRODUCT: { status: 400, meaning: 'o pedido cita um produto que não está no catálogo' },
  SHOP_ERR_INACTIVE_PRODUCT: { status: 400, meaning: 'o pedido cita um produto inativo' },
  SHOP_ERR_UNAUTHENTICATED: { status: 401, meaning: 'com HTTP_AUTH=jwt: sem token, ou token expirado, forjado, de outro emissor/público ou com algoritmo que não é HS256 (entre pelo painel \'Entrar\' ou POST /api/auth/token)' },
  SHOP_ERR_FORBIDDEN: { status: 403, meaning: 'com HTTP_AUTH=jwt: o token é válido, mas o papel não pode isso (a superfície de administração é só do instrutor; um cliente só faz pedidos em seu próprio nome)' },
  SHOP_ERR_NOT_FOUND: { status: 404, meaning: 'o recurso pedido (pedido, produto, saga...) não existe' },
  SHOP_ERR_ROUTE_NOT_FOUND: { status: 404, meaning: 'não há rota para esse método e caminho' },
  SHOP_ERR_TOPIC_NOT_FOUND: { status: 404, meaning: 'o tópico não existe' },
  SHOP_ERR_GROUP_NOT_FOUND: { status: 404, meaning: 'o consumer group não existe' },
  SHOP_ERR_SUBJECT_NOT_FOUND: { status: 404, meaning: 'o subject (ou a versão) não existe no Schema Registry' },
  SHOP_ERR_ORDER_NOT_SEEN: { status: 404, meaning: 'o gateway não viu nenhum evento desse pedido desde que começou' },
  SHOP_ERR_EXERCISE_NOT_FOUND: { status: 404, meaning: 'não existe exercício com esse número (make exercicios lista os que existem)' },
  SHOP_ERR_PRODUCT_EXISTS: { status: 409, meaning: 'já existe um produto com esse id' },
  SHOP_ERR_TOPIC_EXISTS: { status: 409, meaning: 'já existe um tópico com esse nome' },
  SHOP_ERR_SUBJECT_EXISTS: { status: 409, meaning: 'já existe um subject com esse nome no Schema Registry (laboratório de schemas)' },
  SHOP_ERR_SCHEMA_INCOMPATIBLE: { status: 409, meaning: 'o Schema Registry recusou a versão nova pela regra de compatibilidade do subject; a mensagem é a do registry, e nada foi registrado' },
  SHOP_ERR_TOPIC_PROTECTED: { status: 409, meaning: 'o tópico é do sistema e não pode ser apagado pelo console' },
  SHOP_ERR_ORIGIN_NOT_ALLOWED: { status: 403, meaning: 'o navegador chama de uma página de outra origem que não está em ALLOWED_ORIGINS (só a página da Vitrine pode chamar)' },
  SHOP_ERR_STEP_OFF: { status: 409, meaning: 'o modo passo a passo está desligado: não há evento segurado para soltar' },
  SHOP_ERR_BUSY: { status: 409, meaning: 'uma operação cara (a comparação) já está rodando; espere ela terminar (COMPARE_MAX_RUNNING)' },
  SHOP_ERR_HOST_NOT_ALLOWED: { status: 421, meaning: 'o cabeçalho Host não é localhost, 127.0.0.1, [::1] nem um nome de ALLOWED_HOSTS (defesa contra DNS rebinding)' },
  SHOP_ERR_RATE_LIMITED: { status: 429, meaning: 'requisições demais deste cliente na janela (RATE_LIMIT_MAX por RATE_LIMIT_WINDOW_MS); espere o Retry-After' },
  SHOP_ERR_IDEMPOTENCY_MISMATCH: { status: 422, meaning: 'a Idempotency-Key já foi usada por esse cliente com outro corpo' },
  SHOP_ERR_BODY_TOO_LARGE: { status: 413, meaning: 'o corpo é maior que o aceito' },
  SHOP_ERR_MEDIA_TYPE: { status: 415, meaning: 'o content-type não é application/json' },
  SHOP_ERR_INTERNAL: { status: 500, meaning: 'erro interno; a mensagem fica só no log' },
  SHOP_ERR_EXERCISE_FAILED: { status: 500, meaning: 'a preparação (setup) do exercício falhou; a mensagem diz por quê (Kafka fora do ar, um serviço parado...)' },
  SHOP_ERR_AUTH_UNAVAILABLE: { status: 503, meaning: 'o gateway não tem a chave (HTTP_JWT_SECRET) para emitir tokens' },
  SHOP_ERR_DATABASE_UNAVAILABLE: { status: 503, meaning: 'o PostgreSQL não atende agora (fora do ar, reiniciando, sem conexões livres ou lento além do statement_timeout); tente de novo (Retry-After)' },
  SHOP_ERR_KAFKA: { status: 502, meaning: 'o broker recusou a operação' },
  SHOP_ERR_UPSTREAM: { status: 502, meaning: 'um serviço (ou o Schema Registry) respondeu algo inesperado' },
  SHOP_ERR_UPSTREAM_UNAVAILABLE: { status: 502, meaning: 'um serviço, o Schema Registry ou o Prometheus não responde' }
}

/** One broken rule of a request: `body.items.0.quantity`, `maximum`, `must be <= 10000`. */
export interface FieldError { field: string, rule: string, message: string }

/** A rule a route schema cannot express (it needs the database): a 400 like a schema's, each field named. */
export const invalidInput = (errors: FieldError[]): ShopError => new ShopError('SHOP_ERR_VALIDATION', errors.map(e => `${e.field} ${e.message}`).join('; '), 400, { errors })

export const notFound = (what: string, id: string): ShopError => new ShopError('SHOP_ERR_NOT_FOUND', `${what} ${id} not found`, 404, { id })

/** A failure that retrying cannot fix (bad data, a broken invariant): it goes straight to the dead-letter topic. */
export class PermanentError extends Error {
  readonly retryable = false
  code = 'SHOP_ERR_PERMANENT'
}

export function isRetryable (err: unknown): boolean {
  return !(err instanceof PermanentError) && (err as { retryable?: boolean })?.retryable !== false
}

// PostgreSQL's SQLSTATEs (and postgres.js's connection codes) for "the database cannot answer now":
// too many connections, shutting down or starting up, a connection lost, a statement cancelled by its
// timeout. Nothing the request did wrong, and nothing accepted is lost: the client may try again.
const DATABASE_UNAVAILABLE = new Set(['53300', '57P01', '57P02', '57P03', '57014', 'ECONNREFUSED', 'ECONNRESET', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT'])

export function isDatabaseUnavailable (err: unknown): boolean {
  const code = (err as { code?: unknown })?.code
  return typeof code === 'string' && (DATABASE_UNAVAILABLE.has(code) || code.startsWith('08'))
}
