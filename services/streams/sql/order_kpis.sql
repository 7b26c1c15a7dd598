-- ============================================================================
-- Job order_kpis: KPIs dos pedidos confirmados por janela de 1 minuto.
--
-- Janela "tumbling" (em cascata): 14:00-14:01, 14:01-14:02, ... sem sobreposição;
-- cada pedido cai em exatamente uma janela, pela hora em que ACONTECEU (occurredAt).
-- O resultado de uma janela sai UMA vez, quando o watermark passa do fim dela
-- (1 min + 5 s de atraso tolerado): é um stream de fatos, só inserções.
-- ============================================================================

CREATE TABLE order_kpis (
  -- A chave do registro no Kafka: o início da janela, como texto ('2026-11-30 14:01:00.000').
  kpiKey STRING NOT NULL,
  windowStart TIMESTAMP(3) NOT NULL,
  windowEnd TIMESTAMP(3) NOT NULL,
  orders BIGINT NOT NULL,
  revenueCents BIGINT NOT NULL,
  avgTicketCents BIGINT NOT NULL,
  uniqueCustomers BIGINT NOT NULL
) WITH (
  'connector' = 'kafka',
  'topic' = '${TOPIC_PREFIX}streams.order-kpis',
  'properties.bootstrap.servers' = '${KAFKA_BROKERS}',
  'properties.security.protocol' = '${KAFKA_SECURITY_PROTOCOL}',
  'properties.sasl.mechanism' = '${KAFKA_SASL_MECHANISM}',
  'properties.sasl.jaas.config' = '${KAFKA_SASL_JAAS_CONFIG}',
  'key.format' = 'raw',
  'key.fields' = 'kpiKey',
  -- O valor em Avro leva só as colunas que não são a chave, com o schema de contracts.
  'value.fields-include' = 'EXCEPT_KEY',
  'value.format' = 'avro-confluent',
  'value.avro-confluent.url' = '${SCHEMA_REGISTRY_URL}',
  'value.avro-confluent.basic-auth.credentials-source' = '${REGISTRY_CREDENTIALS_SOURCE}',
  'value.avro-confluent.basic-auth.user-info' = '${REGISTRY_USER_INFO}',
  'value.avro-confluent.schema' = '${SCHEMA:order-kpis}',
  -- Escreve em transações Kafka, confirmadas a cada checkpoint (exactly-once).
  'sink.delivery-guarantee' = 'exactly-once',
  'sink.transactional-id-prefix' = '${TRANSACTIONAL_ID}',
  -- O Flink pede transações de 1 h por padrão; o broker aceita no máximo 15 min
  -- (transaction.max.timeout.ms). Uma transação dura um intervalo de checkpoint.
  'properties.transaction.timeout.ms' = '900000'
);

INSERT INTO order_kpis
SELECT
  CAST(window_start AS STRING) AS kpiKey,
  window_start AS windowStart,
  window_end AS windowEnd,
  COUNT(*) AS orders,
  SUM(totalCents) AS revenueCents,
  -- Ticket médio em centavos, arredondado para baixo (divisão inteira).
  SUM(totalCents) / COUNT(*) AS avgTicketCents,
  COUNT(DISTINCT customerId) AS uniqueCustomers
FROM TABLE(
  TUMBLE(TABLE orders_confirmed, DESCRIPTOR(ts), INTERVAL '1' MINUTE)
)
GROUP BY window_start, window_end;
