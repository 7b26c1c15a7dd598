-- ============================================================================
-- Job top_products: os 3 produtos mais pedidos (em unidades) por janela de 1 minuto.
--
-- Cada pedido de orders.new tem uma lista de itens: CROSS JOIN UNNEST abre a
-- lista, uma linha por item. Depois soma por produto em cada janela e numera
-- com ROW_NUMBER() dentro da janela: o "Top-N por janela" do Flink, que também
-- sai uma vez só, quando a janela fecha.
-- ============================================================================

CREATE TABLE top_products (
  -- Chave: início da janela + posição ('2026-11-30 14:01:00.000#1').
  productKey STRING NOT NULL,
  windowStart TIMESTAMP(3) NOT NULL,
  windowEnd TIMESTAMP(3) NOT NULL,
  `rank` BIGINT NOT NULL,
  productId STRING NOT NULL,
  quantity BIGINT NOT NULL,
  orders BIGINT NOT NULL,
  revenueCents BIGINT NOT NULL
) WITH (
  'connector' = 'kafka',
  'topic' = '${TOPIC_PREFIX}streams.top-products',
  'properties.bootstrap.servers' = '${KAFKA_BROKERS}',
  'properties.security.protocol' = '${KAFKA_SECURITY_PROTOCOL}',
  'properties.sasl.mechanism' = '${KAFKA_SASL_MECHANISM}',
  'properties.sasl.jaas.config' = '${KAFKA_SASL_JAAS_CONFIG}',
  'key.format' = 'raw',
  'key.fields' = 'productKey',
  'value.fields-include' = 'EXCEPT_KEY',
  'value.format' = 'avro-confluent',
  'value.avro-confluent.url' = '${SCHEMA_REGISTRY_URL}',
  'value.avro-confluent.basic-auth.credentials-source' = '${REGISTRY_CREDENTIALS_SOURCE}',
  'value.avro-confluent.basic-auth.user-info' = '${REGISTRY_USER_INFO}',
  'value.avro-confluent.schema' = '${SCHEMA:top-products}',
  'sink.delivery-guarantee' = 'exactly-once',
  'sink.transactional-id-prefix' = '${TRANSACTIONAL_ID}',
  'properties.transaction.timeout.ms' = '900000'
);

-- Uma linha por item, com o tempo do pedido (ts continua sendo o tempo de evento).
CREATE TEMPORARY VIEW order_lines AS
SELECT o.orderId, o.ts, i.productId, i.quantity, i.unitPriceCents
FROM orders_new AS o
CROSS JOIN UNNEST(o.items) AS i (productId, quantity, unitPriceCents);

INSERT INTO top_products
SELECT
  CONCAT(CAST(window_start AS STRING), '#', CAST(rownum AS STRING)) AS productKey,
  window_start, window_end, rownum, productId, quantity, orders, revenueCents
FROM (
  SELECT *,
    -- Empate em unidades: o productId menor fica na frente (resultado determinístico).
    ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY quantity DESC, productId ASC) AS rownum
  FROM (
    SELECT
      window_start, window_end, productId,
      CAST(SUM(quantity) AS BIGINT) AS quantity,
      COUNT(DISTINCT orderId) AS orders,
      SUM(quantity * unitPriceCents) AS revenueCents
    FROM TABLE(
      TUMBLE(TABLE order_lines, DESCRIPTOR(ts), INTERVAL '1' MINUTE)
    )
    GROUP BY window_start, window_end, productId
  )
)
WHERE rownum <= 3;
