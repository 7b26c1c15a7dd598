import type { Admin } from '@platformatic/kafka'
import type { RegistryLogin } from '@vitrine/contracts'
import type { KafkaSecurity } from '@vitrine/service-kit'
import type { Sql } from 'postgres'
import type { ControlPlane } from '../control/plane.ts'

// An exercise of the course (runbooks/exercicios/NN-slug.md): a setup that puts the live system
// into the exercise's starting state, and a checker that reads the real state (topics, groups,
// offsets, registry, database, service metrics) and says what is still missing. A checker never
// trusts a file the student writes; it looks at the system.

/** What a setup or a checker may use: the control plane and where the shop it controls lives. */
export interface ExerciseContext {
  /** The control plane of the shop being exercised: start, stop, kill, restart, reset, status. */
  plane: ControlPlane
  /** Kafka bootstrap servers. */
  brokers: string
  /**
   * The exercises' Kafka login, for every kit client a setup or checker opens (EventProducer,
   * readTopicNow, KafkaReader…): the `exercises` principal on a KAFKA_AUTH=scram stack, with only
   * its ACLs (security/acls.ts exerciseAcls), never the admin's; empty on a PLAINTEXT one.
   */
  security: KafkaSecurity
  /** An Admin client logged in as the exercises' principal; the caller closes it. */
  admin: (clientId?: string) => Admin
  /** The same principal's Schema Registry login (null on a PLAINTEXT stack). */
  registryLogin: RegistryLogin | null
  /** The shop's topic prefix ('' on the demo, a test's `t1234.`): every catalog topic is prefix + name. */
  topicPrefix: string
  /** The shop's consumer group suffix ('' on the demo): a service's group is its name + suffix. */
  groupSuffix: string
  /** The shop's database schema suffix ('' on the demo). */
  schemaSuffix: string
  registryUrl: string
  /** The shop's database (one schema per service: use `schema`). */
  sql: Sql
  /** A service's database schema, suffix included: schema('checkout-api') → 'checkout'. */
  schema: (service: string) => string
  /** A service's HTTP base URL: serviceUrl('checkout-api') → 'http://127.0.0.1:3001'. */
  serviceUrl: (service: string) => string
}

/** A checker's verdict, in pt-BR: done, or the list of what is still missing. */
export interface CheckResult {
  done: boolean
  /** What is still missing, one pt-BR sentence each (empty when done). */
  missing: string[]
  /** What the checker saw (pt-BR), shown under the verdict: "grupo ex03: lag 0 em 3 partições". */
  seen?: string[]
}

export interface Exercise {
  /** 1..N, the number in `make exercicio N=3`. */
  n: number
  /** The page's file name without .md: runbooks/exercicios/<slug>.md, e.g. '03-lag-de-grupo'. */
  slug: string
  /** pt-BR title. */
  title: string
  /** The concepts it practises (docs/conceitos page names, e.g. 'consumer-groups'). */
  concepts: string[]
  /** What the running shop must have for the exercise to make sense (e.g. 3 brokers). */
  requires?: { brokers?: number }
  /** Puts the system into the exercise's starting state (through the control plane). Idempotent. */
  setup: (ctx: ExerciseContext) => Promise<void>
  /** Reads the real state; never changes it. */
  check: (ctx: ExerciseContext) => Promise<CheckResult>
}

/** The helper every exercise module uses, so a missing field is a compile error. */
export function defineExercise (e: Exercise): Exercise {
  return e
}
