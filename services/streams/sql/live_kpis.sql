-- ============================================================================
-- Job live_kpis: os KPIs do bloco de 5 minutos corrente, ATUALIZADOS a cada pedido.
--
-- Diferente de order_kpis (janela: um resultado quando ela fecha), aqui é um
-- GROUP BY comum sobre o bloco de 5 min: cada pedido confirmado muda a linha do
-- bloco, e o Flink emite a linha nova. O resultado é uma TABELA: o tópico é
-- compactado e o conector upsert-kafka grava "a versão mais nova por chave".
-- ============================================================================

-- Sem isto o estado de blocos antigos cresceria para sempre; 1 h basta para o painel.
SET 'table.exec.state.ttl' = '1 h';

CREATE TABLE live_kpis (
  bucketKey STRING NOT NULL,
  bucketStart TIMESTAMP(3) NOT NULL,
  orders BIGINT NOT NULL,
  revenueCents BIGINT NOT NULL,
  avgTicketCents BIGINT NOT NULL,
  uniqueCustomers BIGINT NOT NULL,
  PRIMARY KEY (bucketKey) NOT ENFORCED
) WITH (
  'connector' = 'upsert-kafka',
  'topic' = '${TOPIC_PREFIX}streams.live-kpis',
  'properties.bootstrap.servers' = '${KAFKA_BROKERS}',
  'properties.security.protocol' = '${KAFKA_SECURITY_PROTOCOL}',
  'properties.sasl.mechanism' = '${KAFKA_SASL_MECHANISM}',
  'properties.sasl.jaas.config' = '${KAFKA_SASL_JAAS_CONFIG}',
  'key.format' = 'raw',
  'value.fields-include' = 'EXCEPT_KEY',
  'value.format' = 'avro-confluent',
  'value.avro-confluent.url' = '${SCHEMA_REGISTRY_URL}',
  'value.avro-confluent.basic-auth.credentials-source' = '${REGISTRY_CREDENTIALS_SOURCE}',
  'value.avro-confluent.basic-auth.user-info' = '${REGISTRY_USER_INFO}',
  'value.avro-confluent.schema' = '${SCHEMA:live-kpis}',
  'sink.delivery-guarantee' = 'exactly-once',
  'sink.transactional-id-prefix' = '${TRANSACTIONAL_ID}',
  'properties.transaction.timeout.ms' = '900000'
);

INSERT INTO live_kpis
SELECT
  CAST(bucket AS STRING) AS bucketKey,
  bucket AS bucketStart,
  COUNT(*) AS orders,
  SUM(totalCents) AS revenueCents,
  SUM(totalCents) / COUNT(*) AS avgTicketCents,
  COUNT(DISTINCT customerId) AS uniqueCustomers
FROM (
  -- O início do bloco de 5 min em que o pedido aconteceu (14:07:31 -> 14:05:00).
  SELECT
    TO_TIMESTAMP(FROM_UNIXTIME(occurredAt / 1000 / 300 * 300)) AS bucket,
    totalCents, customerId
  FROM orders_confirmed
)
GROUP BY bucket;
