-- ============================================================================
-- Job enriched_orders: cada item de cada pedido com o cliente e o produto
-- COMO ELES ERAM na hora do pedido.
--
-- customers e products são tabelas versionadas (vêm do Debezium, com chave e
-- watermark). "FOR SYSTEM_TIME AS OF o.ts" é um join temporal por tempo de
-- evento: pega a versão do cliente vigente no instante do pedido. Se o tier do
-- cliente muda depois, os pedidos antigos continuam com o tier antigo e só os
-- novos recebem o novo.
-- LEFT JOIN: um pedido de cliente desconhecido sai com tier nulo, não some.
-- ============================================================================

CREATE TABLE enriched_orders (
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
  'properties.security.protocol' = '${KAFKA_SECURITY_PROTOCOL}',
  'properties.sasl.mechanism' = '${KAFKA_SASL_MECHANISM}',
  'properties.sasl.jaas.config' = '${KAFKA_SASL_JAAS_CONFIG}',
  -- Chaveado por orderId, como os tópicos da saga: os itens de um pedido ficam juntos.
  'key.format' = 'raw',
  'key.fields' = 'orderId',
  'value.fields-include' = 'ALL',
  'value.format' = 'avro-confluent',
  'value.avro-confluent.url' = '${SCHEMA_REGISTRY_URL}',
  'value.avro-confluent.basic-auth.credentials-source' = '${REGISTRY_CREDENTIALS_SOURCE}',
  'value.avro-confluent.basic-auth.user-info' = '${REGISTRY_USER_INFO}',
  'value.avro-confluent.schema' = '${SCHEMA:enriched-order}',
  'sink.delivery-guarantee' = 'exactly-once',
  'sink.transactional-id-prefix' = '${TRANSACTIONAL_ID}',
  'properties.transaction.timeout.ms' = '900000'
);

INSERT INTO enriched_orders
SELECT
  l.orderId, l.customerId,
  c.name AS customerName,
  c.tier AS customerTier,
  l.productId,
  p.name AS productName,
  l.quantity, l.unitPriceCents,
  -- O preço que o catálogo tinha na hora; unitPriceCents é o que o pedido cobrou.
  p.price_cents AS catalogPriceCents,
  l.quantity * l.unitPriceCents AS lineCents,
  CAST(l.ts AS TIMESTAMP(3)) AS occurredAt
FROM (
  SELECT o.orderId, o.customerId, o.ts, i.productId, i.quantity, i.unitPriceCents
  FROM orders_new AS o
  CROSS JOIN UNNEST(o.items) AS i (productId, quantity, unitPriceCents)
) AS l
LEFT JOIN customers FOR SYSTEM_TIME AS OF l.ts AS c ON l.customerId = c.customer_id
LEFT JOIN products FOR SYSTEM_TIME AS OF l.ts AS p ON l.productId = p.id;
