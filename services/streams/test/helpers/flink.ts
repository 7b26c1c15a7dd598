import type { TestContext } from 'node:test'
import { sqlGatewayUrl, up } from '@vitrine/infra'
import { freeBrokerBase, isolatedSettings } from '@vitrine/infra/testing'
import type { TestEnv } from '@vitrine/infra/testing'
import type { SqlParams } from '../../src/sql.ts'

export interface TestFlink { gatewayUrl: string, restUrls: string[], stateDir: string }

/**
 * A Flink of the test's own (one JVM, its SQL Gateway on a free port; stopped after the test) that
 * reads and writes the shared broker and registry. STREAMS_TEST_FLINK=<gateway url>,<first ui port>
 * points the tests at one already running instead (while writing them).
 */
export async function privateFlink (t: TestContext): Promise<TestFlink> {
  const given = process.env.STREAMS_TEST_FLINK
  if (given) {
    const [gatewayUrl, ui] = given.split(',')
    return { gatewayUrl: gatewayUrl!, restUrls: uiUrls(Number(ui)), stateDir: process.env.STREAMS_TEST_FLINK_STATE ?? '' }
  }
  const s = isolatedSettings(t, await freeBrokerBase())
  await up(s, { only: ['flink'], catalog: false })
  return { gatewayUrl: sqlGatewayUrl(s), restUrls: uiUrls(s.flinkUiPort), stateDir: s.stateDir }
}

const uiUrls = (first: number): string[] => Array.from({ length: 10 }, (_, i) => `http://127.0.0.1:${first + i}`)

/** The SQL's parameters for a test's own topics and groups, on the shared broker and registry. */
export function sqlParams (env: TestEnv): SqlParams {
  return {
    TOPIC_PREFIX: env.prefix,
    KAFKA_BROKERS: env.brokers,
    SCHEMA_REGISTRY_URL: env.registryUrl,
    GROUP_SUFFIX: env.groupSuffix,
    CDC_CUSTOMERS_TOPIC: `${env.prefix}customers.cdc`,
    CDC_PRODUCTS_TOPIC: `${env.prefix}products.cdc`,
    CDC_SCHEMA_INCLUDE: 'false'
  }
}
