-- ============================================================================
-- Tabelas de origem, compartilhadas por todos os jobs (cada job roda este arquivo
-- antes do seu). Nada aqui inicia um job: CREATE TABLE só descreve onde estão os
-- dados e em que formato; quem lê é o INSERT de cada arquivo de job.
--
-- Os ${...} são preenchidos pelo submitter (services/streams/src/sql.ts):
--   ${TOPIC_PREFIX}        prefixo dos tópicos (vazio na demo; os testes usam o seu)
--   ${KAFKA_BROKERS}       bootstrap do Kafka
--   ${KAFKA_SECURITY_PROTOCOL}, ${KAFKA_SASL_MECHANISM}, ${KAFKA_SASL_JAAS_CONFIG}
--                         o login do Flink no Kafka: PLAINTEXT sem login; com KAFKA_AUTH=scram,
--                         SASL_PLAINTEXT como o usuário streams (ScramLoginModule sombreado do conector, senha do
--                         .vitrine/secrets), com as ACLs que o catálogo dá ao streams
--   ${SCHEMA_REGISTRY_URL} API Confluent do nosso registry (Apicurio)
--   ${REGISTRY_CREDENTIALS_SOURCE}, ${REGISTRY_USER_INFO}
--                         o login do Flink no registry: vazios sem login; com KAFKA_AUTH=scram,
--                         USER_INFO e 'streams:<senha>' (o mesmo usuário e a mesma senha do Kafka:
--                         o registry só deixa o streams registrar os schemas dos tópicos streams.*)
--   ${GROUP_ID}            consumer group do Flink: streams para os jobs; a página SQL do gateway usa o seu
--   ${GROUP_SUFFIX}        sufixo dos consumer groups do Flink
--   ${SCHEMA:nome}         o .avsc de contracts/schemas (a versão mais nova), como texto
-- ============================================================================

-- Exactly-once (configurado no Flink, infra/src/streams-flink.ts): a cada 10 s o
-- Flink tira um checkpoint (offsets lidos + estado das janelas) e só então confirma
-- a transação Kafka dos resultados. Um leitor em read_committed nunca vê um
-- resultado que um restart desfaria; o preço é que um KPI aparece até ~10 s depois.
-- O checkpoint fica no disco quando o job para: é dele que um restart continua.
-- Janelas em UTC (window_start '14:01:00' quer dizer 14:01 UTC).
SET 'table.local-time-zone' = 'UTC';
-- Uma partição sem pedidos há 5 s não segura o watermark das outras: sem isto uma
-- janela só fecharia quando TODAS as partições recebessem um pedido mais novo.
SET 'table.exec.source.idle-timeout' = '5s';
SET 'parallelism.default' = '1';

-- Pedidos criados (orders.new), em Avro no formato da Confluent: cada registro
-- começa com o id do schema no registry. O schema é o de contracts, dado por
-- extenso, então as colunas abaixo têm de bater campo a campo com ele.
CREATE TABLE orders_new (
  -- As colunas seguem a ordem dos campos do schema (o Flink compara os dois).
  eventId STRING NOT NULL,
  orderId STRING NOT NULL,
  customerId STRING NOT NULL,
  items ARRAY<ROW<productId STRING NOT NULL, quantity INT NOT NULL, unitPriceCents BIGINT NOT NULL> NOT NULL> NOT NULL,
  totalCents BIGINT NOT NULL,
  currency STRING NOT NULL,
  deadlineAt BIGINT NOT NULL,
  channel STRING NOT NULL,
  occurredAt BIGINT NOT NULL,
  -- Tempo de evento: quando o pedido aconteceu, não quando o Flink o leu.
  ts AS TO_TIMESTAMP_LTZ(occurredAt, 3),
  -- Watermark: "já vi tudo até ts - 5 s". Pedidos até 5 s atrasados ainda entram na janela certa.
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (
  'connector' = 'kafka',
  'topic' = '${TOPIC_PREFIX}orders.new',
  'properties.bootstrap.servers' = '${KAFKA_BROKERS}',
  'properties.security.protocol' = '${KAFKA_SECURITY_PROTOCOL}',
  'properties.sasl.mechanism' = '${KAFKA_SASL_MECHANISM}',
  'properties.sasl.jaas.config' = '${KAFKA_SASL_JAAS_CONFIG}',
  'properties.group.id' = '${GROUP_ID}${GROUP_SUFFIX}',
  'properties.isolation.level' = 'read_committed',
  'scan.startup.mode' = 'earliest-offset',
  'value.format' = 'avro-confluent',
  'value.avro-confluent.url' = '${SCHEMA_REGISTRY_URL}',
  'value.avro-confluent.basic-auth.credentials-source' = '${REGISTRY_CREDENTIALS_SOURCE}',
  'value.avro-confluent.basic-auth.user-info' = '${REGISTRY_USER_INFO}',
  'value.avro-confluent.schema' = '${SCHEMA:order-created}'
);

-- Pedidos confirmados (orders.confirmed): pagos e com estoque reservado.
CREATE TABLE orders_confirmed (
  eventId STRING NOT NULL,
  orderId STRING NOT NULL,
  customerId STRING NOT NULL,
  totalCents BIGINT NOT NULL,
  occurredAt BIGINT NOT NULL,
  ts AS TO_TIMESTAMP_LTZ(occurredAt, 3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (
  'connector' = 'kafka',
  'topic' = '${TOPIC_PREFIX}orders.confirmed',
  'properties.bootstrap.servers' = '${KAFKA_BROKERS}',
  'properties.security.protocol' = '${KAFKA_SECURITY_PROTOCOL}',
  'properties.sasl.mechanism' = '${KAFKA_SASL_MECHANISM}',
  'properties.sasl.jaas.config' = '${KAFKA_SASL_JAAS_CONFIG}',
  'properties.group.id' = '${GROUP_ID}${GROUP_SUFFIX}',
  'properties.isolation.level' = 'read_committed',
  'scan.startup.mode' = 'earliest-offset',
  'value.format' = 'avro-confluent',
  'value.avro-confluent.url' = '${SCHEMA_REGISTRY_URL}',
  'value.avro-confluent.basic-auth.credentials-source' = '${REGISTRY_CREDENTIALS_SOURCE}',
  'value.avro-confluent.basic-auth.user-info' = '${REGISTRY_USER_INFO}',
  'value.avro-confluent.schema' = '${SCHEMA:order-confirmed}'
);

-- Clientes, capturados do PostgreSQL do checkout-api pelo Debezium (CDC): cada
-- INSERT/UPDATE/DELETE na tabela vira um evento, e o Flink remonta a tabela.
-- Com a PRIMARY KEY e o watermark ela é uma tabela versionada: um JOIN
-- "FOR SYSTEM_TIME AS OF" acha a versão do cliente vigente na hora do pedido.
CREATE TABLE customers (
  customer_id STRING NOT NULL,
  name STRING,
  tier STRING,
  -- Quando a mudança foi gravada no PostgreSQL (o commit), lida do envelope do Debezium.
  committed_at TIMESTAMP_LTZ(3) METADATA FROM 'value.source.timestamp' VIRTUAL,
  -- O resto do bloco "source" do Debezium; source_info['snapshot'] é 'false' numa
  -- mudança e outro valor ('true', 'first', 'last'...) numa linha do snapshot inicial.
  source_info MAP<STRING, STRING> METADATA FROM 'value.source.properties' VIRTUAL,
  -- Desde quando esta versão vale. Uma mudança vale a partir do commit. Uma linha do
  -- snapshot (a tabela como estava quando o conector subiu) vale "desde sempre"
  -- (1970): o Debezium não sabe desde quando ela é assim, e sem isso um pedido
  -- feito antes de o conector subir não acharia versão nenhuma do cliente.
  changed_at AS CASE WHEN COALESCE(source_info['snapshot'], 'false') = 'false' THEN committed_at ELSE TO_TIMESTAMP_LTZ(0, 3) END,
  PRIMARY KEY (customer_id) NOT ENFORCED,
  -- O watermark da tabela versionada: "já vi todas as mudanças até changed_at".
  -- O join só responde por um pedido das 10:00 quando o watermark das DUAS
  -- entradas passou das 10:00; a tabela quase nunca muda, então ela fica
  -- "ociosa" depois de 5 s (table.exec.source.idle-timeout, acima) e aí só o
  -- watermark dos pedidos conta.
  WATERMARK FOR changed_at AS changed_at
) WITH (
  'connector' = 'kafka',
  'topic' = '${CDC_CUSTOMERS_TOPIC}',
  'properties.bootstrap.servers' = '${KAFKA_BROKERS}',
  'properties.security.protocol' = '${KAFKA_SECURITY_PROTOCOL}',
  'properties.sasl.mechanism' = '${KAFKA_SASL_MECHANISM}',
  'properties.sasl.jaas.config' = '${KAFKA_SASL_JAAS_CONFIG}',
  'properties.group.id' = '${GROUP_ID}${GROUP_SUFFIX}',
  'scan.startup.mode' = 'earliest-offset',
  'value.format' = 'debezium-json',
  'value.debezium-json.schema-include' = '${CDC_SCHEMA_INCLUDE}'
);

-- Produtos, capturados do PostgreSQL do inventory pelo Debezium.
CREATE TABLE products (
  id STRING NOT NULL,
  name STRING,
  price_cents BIGINT,
  committed_at TIMESTAMP_LTZ(3) METADATA FROM 'value.source.timestamp' VIRTUAL,
  source_info MAP<STRING, STRING> METADATA FROM 'value.source.properties' VIRTUAL,
  -- Como em customers: o snapshot vale desde sempre, uma mudança desde o commit.
  changed_at AS CASE WHEN COALESCE(source_info['snapshot'], 'false') = 'false' THEN committed_at ELSE TO_TIMESTAMP_LTZ(0, 3) END,
  PRIMARY KEY (id) NOT ENFORCED,
  WATERMARK FOR changed_at AS changed_at
) WITH (
  'connector' = 'kafka',
  'topic' = '${CDC_PRODUCTS_TOPIC}',
  'properties.bootstrap.servers' = '${KAFKA_BROKERS}',
  'properties.security.protocol' = '${KAFKA_SECURITY_PROTOCOL}',
  'properties.sasl.mechanism' = '${KAFKA_SASL_MECHANISM}',
  'properties.sasl.jaas.config' = '${KAFKA_SASL_JAAS_CONFIG}',
  'properties.group.id' = '${GROUP_ID}${GROUP_SUFFIX}',
  'scan.startup.mode' = 'earliest-offset',
  'value.format' = 'debezium-json',
  'value.debezium-json.schema-include' = '${CDC_SCHEMA_INCLUDE}'
);
