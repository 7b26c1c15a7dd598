// A process's login to the Schema Registry. With KAFKA_AUTH=scram the registry's writes need a Kafka
// principal and its SCRAM password (infra/src/registry-proxy.ts): one principal, one password per
// process, so a service reads and registers as the same identity the broker knows, and a rotation
// (make kafka-senha) changes both at once. On a PLAINTEXT stack there is none.

// A type, not an interface: mappersmith's Authorization (the client's `auth`) wants an index signature.
export type RegistryLogin = { username: string, password: string }

/** The Kafka login variables a service's config and a tool's environment both carry. */
export interface KafkaLoginVars {
  KAFKA_SECURITY_PROTOCOL?: string | undefined
  KAFKA_SASL_USERNAME?: string | undefined
  KAFKA_SASL_PASSWORD?: string | undefined
}

/**
 * The registry login of a service's config, or of a tool's environment (the supervisor's tools log in
 * as admin: infra's adoptAdminLogin): its Kafka principal when KAFKA_SECURITY_PROTOCOL is sasl_*, else null.
 */
export function registryLogin (vars: KafkaLoginVars = process.env): RegistryLogin | null {
  if (!(vars.KAFKA_SECURITY_PROTOCOL ?? '').toLowerCase().startsWith('sasl_')) return null
  const username = vars.KAFKA_SASL_USERNAME ?? ''
  if (username === '') return null
  return { username, password: vars.KAFKA_SASL_PASSWORD ?? '' }
}

/** @kafkajs/confluent-schema-registry's arguments for a registry and a login: `new SchemaRegistry(registryClientArgs(url))`. */
export function registryClientArgs (host: string, login: RegistryLogin | null = registryLogin()): { host: string, auth?: RegistryLogin } {
  return login === null ? { host } : { host, auth: login }
}

/** The Authorization header of a login, for the registry calls made with fetch (none without a login). */
export function registryAuthHeaders (login: RegistryLogin | null = registryLogin()): Record<string, string> {
  return login === null ? {} : { authorization: `Basic ${Buffer.from(`${login.username}:${login.password}`).toString('base64')}` }
}
