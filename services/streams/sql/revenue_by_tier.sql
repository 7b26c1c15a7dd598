-- ============================================================================
-- Job revenue_by_tier: receita acumulada por tier de cliente (bronze, silver,
-- gold), lida do tópico que o job enriched_orders escreve.
--
-- Um job lê a saída do outro pelo Kafka, como qualquer consumidor: cada job
-- pode parar, reiniciar e escalar sozinho. O resultado é uma tabela (upsert),
-- uma linha por tier, atualizada a cada pedido.
-- ============================================================================

CREATE TABLE enriched_orders_in (
  orderId STRING NOT NULL,
  customerId STRING NOT NULL,
  customerName STRING,
  customerTier STRING,
  productId STRING NOT NULL,
  productName STRING,
  quantity INT NOT NULL,
  unitPriceCents BIGINT NOT NULL,
  catalogPriceCents BIGINT,
  lineCents BIGINT NOT NULL,
  occurredAt TIMESTAMP(3) NOT NULL
) WITH (
  'connector' = 'kafka',
  'topic' = '${TOPIC_PREFIX}streams.enriched-orders',
  'properties.bootstrap.servers' = '${KAFKA_BROKERS}',
  'properties.group.id' = 'streams${GROUP_SUFFIX}',
  -- Só o que o enriched_orders confirmou (transações concluídas no checkpoint dele).
  'properties.isolation.level' = 'read_committed',
  'scan.startup.mode' = 'earliest-offset',
  'value.format' = 'avro-confluent',
  'value.avro-confluent.url' = '${SCHEMA_REGISTRY_URL}',
  'value.avro-confluent.schema' = '${SCHEMA:enriched-order}'
);

CREATE TABLE revenue_by_tier (
  tier STRING NOT NULL,
  orders BIGINT NOT NULL,
  revenueCents BIGINT NOT NULL,
  avgTicketCents BIGINT NOT NULL,
  PRIMARY KEY (tier) NOT ENFORCED
) WITH (
  'connector' = 'upsert-kafka',
  'topic' = '${TOPIC_PREFIX}streams.revenue-by-tier',
  'properties.bootstrap.servers' = '${KAFKA_BROKERS}',
  'key.format' = 'raw',
  -- O tier também fica no valor (ALL): quem lê só o valor sabe de que tier é.
  'value.fields-include' = 'ALL',
  'value.format' = 'avro-confluent',
  'value.avro-confluent.url' = '${SCHEMA_REGISTRY_URL}',
  'value.avro-confluent.schema' = '${SCHEMA:revenue-by-tier}',
  'sink.delivery-guarantee' = 'exactly-once',
  'sink.transactional-id-prefix' = '${TRANSACTIONAL_ID}',
  'properties.transaction.timeout.ms' = '900000'
);

INSERT INTO revenue_by_tier
SELECT
  tier,
  COUNT(DISTINCT orderId) AS orders,
  SUM(lineCents) AS revenueCents,
  SUM(lineCents) / COUNT(DISTINCT orderId) AS avgTicketCents
FROM (
  SELECT COALESCE(customerTier, 'desconhecido') AS tier, orderId, lineCents
  FROM enriched_orders_in
)
GROUP BY tier;
