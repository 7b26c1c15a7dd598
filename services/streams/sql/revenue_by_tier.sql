-- ============================================================================
-- Job revenue_by_tier: receita acumulada por tier de cliente (bronze, silver,
-- gold), com cada pedido no tier que o cliente tinha NA HORA DO PEDIDO.
--
-- customers é uma tabela versionada (vem do Debezium, com chave primária e
-- watermark: veja tables.sql). "FOR SYSTEM_TIME AS OF o.ts" é um join temporal
-- por tempo de evento: para cada pedido, o Flink pega a versão do cliente que
-- valia no instante o.ts. Se o tier muda no PostgreSQL às 10:05, um pedido das
-- 10:04 continua contando para o tier antigo e um das 10:06 conta para o novo.
-- Um JOIN comum (sem FOR SYSTEM_TIME) usaria o tier de AGORA.
-- O limite: o Flink guarda as versões antigas só até o watermark passar delas;
-- um pedido que chega atrasado demais não acha a versão da hora dele.
--
-- O resultado é uma tabela (upsert), uma linha por tier, atualizada a cada pedido.
-- ============================================================================

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
  'properties.security.protocol' = '${KAFKA_SECURITY_PROTOCOL}',
  'properties.sasl.mechanism' = '${KAFKA_SASL_MECHANISM}',
  'properties.sasl.jaas.config' = '${KAFKA_SASL_JAAS_CONFIG}',
  'key.format' = 'raw',
  -- O tier também fica no valor (ALL): quem lê só o valor sabe de que tier é.
  'value.fields-include' = 'ALL',
  'value.format' = 'avro-confluent',
  'value.avro-confluent.url' = '${SCHEMA_REGISTRY_URL}',
  'value.avro-confluent.basic-auth.credentials-source' = '${REGISTRY_CREDENTIALS_SOURCE}',
  'value.avro-confluent.basic-auth.user-info' = '${REGISTRY_USER_INFO}',
  'value.avro-confluent.schema' = '${SCHEMA:revenue-by-tier}',
  'sink.delivery-guarantee' = 'exactly-once',
  'sink.transactional-id-prefix' = '${TRANSACTIONAL_ID}',
  'properties.transaction.timeout.ms' = '900000'
);

INSERT INTO revenue_by_tier
SELECT
  tier,
  COUNT(*) AS orders,
  SUM(totalCents) AS revenueCents,
  -- Ticket médio em centavos, arredondado para baixo (divisão inteira).
  SUM(totalCents) / COUNT(*) AS avgTicketCents
FROM (
  SELECT
    -- LEFT JOIN: o pedido de um cliente que não está na tabela não some, conta como 'desconhecido'.
    COALESCE(c.tier, 'desconhecido') AS tier,
    o.totalCents
  FROM orders_new AS o
  LEFT JOIN customers FOR SYSTEM_TIME AS OF o.ts AS c
    ON o.customerId = c.customer_id
)
GROUP BY tier;
