#!/bin/sh
# GENERATED from contracts/src/topics.ts by infra/src/compose-topics.ts. Do not edit; regenerate with
#   node_modules/.bin/tsx infra/src/compose-topics.ts
# Creates every catalog topic that does not exist yet (run by the topic-init service in compose.yaml).
set -eu
BOOTSTRAP="${BOOTSTRAP:-kafka:19092}"
BROKERS="${BROKERS:-1}"
KAFKA_TOPICS="${KAFKA_TOPICS:-/opt/kafka/bin/kafka-topics.sh}"
# With compose's SASL (the admin's password from compose/.env) Kafka's tools log in as the admin.
COMMAND_CONFIG="${COMMAND_CONFIG:-}"
if [ -z "$COMMAND_CONFIG" ] && [ -n "${VITRINE_KAFKA_PASSWORD_ADMIN:-}" ]; then
  COMMAND_CONFIG=$(mktemp)
  chmod 600 "$COMMAND_CONFIG"
  printf '%s\n' 'security.protocol=SASL_PLAINTEXT' 'sasl.mechanism=SCRAM-SHA-512' \
    "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"admin\" password=\"$VITRINE_KAFKA_PASSWORD_ADMIN\";" > "$COMMAND_CONFIG"
fi

# create <name> <partitions> <replication> [--config key=value ...]
create () {
  name=$1 partitions=$2 replication=$3
  shift 3
  "$KAFKA_TOPICS" --bootstrap-server "$BOOTSTRAP" ${COMMAND_CONFIG:+--command-config "$COMMAND_CONFIG"} --create --if-not-exists \
    --topic "$name" --partitions "$partitions" --replication-factor "$replication" "$@"
}

if [ "$BROKERS" = 3 ]; then
  create products.catalog 3 3 --config cleanup.policy=compact --config min.insync.replicas=2 --config min.cleanable.dirty.ratio=0.1 --config segment.ms=3600000
  create orders.new 3 3 --config cleanup.policy=delete --config retention.ms=604800000 --config min.insync.replicas=2
  create payments.requested 3 3 --config cleanup.policy=delete --config retention.ms=604800000 --config min.insync.replicas=2
  create payments.approved 3 3 --config cleanup.policy=delete --config retention.ms=604800000 --config min.insync.replicas=2
  create payments.failed 3 3 --config cleanup.policy=delete --config retention.ms=604800000 --config min.insync.replicas=2
  create payments.refunded 3 3 --config cleanup.policy=delete --config retention.ms=604800000 --config min.insync.replicas=2
  create inventory.reserved 3 3 --config cleanup.policy=delete --config retention.ms=604800000 --config min.insync.replicas=2
  create inventory.failed 3 3 --config cleanup.policy=delete --config retention.ms=604800000 --config min.insync.replicas=2
  create inventory.released 3 3 --config cleanup.policy=delete --config retention.ms=604800000 --config min.insync.replicas=2
  create orders.confirmed 3 3 --config cleanup.policy=delete --config retention.ms=604800000 --config min.insync.replicas=2
  create sales.totals 1 3 --config cleanup.policy=compact --config min.insync.replicas=2 --config min.cleanable.dirty.ratio=0.1 --config segment.ms=3600000
  create orders.failed 3 3 --config cleanup.policy=delete --config retention.ms=604800000 --config min.insync.replicas=2
  create notifications.sent 3 3 --config cleanup.policy=delete --config retention.ms=604800000 --config min.insync.replicas=2
  create payments.commands 3 3 --config cleanup.policy=delete --config retention.ms=604800000 --config min.insync.replicas=2
  create payments.replies 3 3 --config cleanup.policy=delete --config retention.ms=604800000 --config min.insync.replicas=2
  create inventory.commands 3 3 --config cleanup.policy=delete --config retention.ms=604800000 --config min.insync.replicas=2
  create inventory.replies 3 3 --config cleanup.policy=delete --config retention.ms=604800000 --config min.insync.replicas=2
  create orders.commands 3 3 --config cleanup.policy=delete --config retention.ms=604800000 --config min.insync.replicas=2
  create streams.order-kpis 1 3 --config cleanup.policy=delete --config retention.ms=604800000 --config min.insync.replicas=2
  create streams.top-products 1 3 --config cleanup.policy=delete --config retention.ms=604800000 --config min.insync.replicas=2
  create streams.live-kpis 1 3 --config cleanup.policy=compact --config min.insync.replicas=2 --config min.cleanable.dirty.ratio=0.1 --config segment.ms=3600000
  create streams.enriched-orders 3 3 --config cleanup.policy=delete --config retention.ms=604800000 --config min.insync.replicas=2
  create streams.revenue-by-tier 1 3 --config cleanup.policy=compact --config min.insync.replicas=2 --config min.cleanable.dirty.ratio=0.1 --config segment.ms=3600000
  create customers.cdc 1 3 --config cleanup.policy=compact --config min.insync.replicas=2 --config min.cleanable.dirty.ratio=0.1 --config segment.ms=3600000
  create products.cdc 1 3 --config cleanup.policy=compact --config min.insync.replicas=2 --config min.cleanable.dirty.ratio=0.1 --config segment.ms=3600000
  create orders.retry.5s 3 3 --config cleanup.policy=delete --config retention.ms=2592000000 --config min.insync.replicas=2
  create orders.retry.30s 3 3 --config cleanup.policy=delete --config retention.ms=2592000000 --config min.insync.replicas=2
  create orders.retry.5m 3 3 --config cleanup.policy=delete --config retention.ms=2592000000 --config min.insync.replicas=2
  create orders.dlq 1 3 --config cleanup.policy=delete --config retention.ms=2592000000 --config min.insync.replicas=2
else
  create products.catalog 3 1 --config cleanup.policy=compact --config min.insync.replicas=1 --config min.cleanable.dirty.ratio=0.1 --config segment.ms=3600000
  create orders.new 3 1 --config cleanup.policy=delete --config retention.ms=604800000 --config min.insync.replicas=1
  create payments.requested 3 1 --config cleanup.policy=delete --config retention.ms=604800000 --config min.insync.replicas=1
  create payments.approved 3 1 --config cleanup.policy=delete --config retention.ms=604800000 --config min.insync.replicas=1
  create payments.failed 3 1 --config cleanup.policy=delete --config retention.ms=604800000 --config min.insync.replicas=1
  create payments.refunded 3 1 --config cleanup.policy=delete --config retention.ms=604800000 --config min.insync.replicas=1
  create inventory.reserved 3 1 --config cleanup.policy=delete --config retention.ms=604800000 --config min.insync.replicas=1
  create inventory.failed 3 1 --config cleanup.policy=delete --config retention.ms=604800000 --config min.insync.replicas=1
  create inventory.released 3 1 --config cleanup.policy=delete --config retention.ms=604800000 --config min.insync.replicas=1
  create orders.confirmed 3 1 --config cleanup.policy=delete --config retention.ms=604800000 --config min.insync.replicas=1
  create sales.totals 1 1 --config cleanup.policy=compact --config min.insync.replicas=1 --config min.cleanable.dirty.ratio=0.1 --config segment.ms=3600000
  create orders.failed 3 1 --config cleanup.policy=delete --config retention.ms=604800000 --config min.insync.replicas=1
  create notifications.sent 3 1 --config cleanup.policy=delete --config retention.ms=604800000 --config min.insync.replicas=1
  create payments.commands 3 1 --config cleanup.policy=delete --config retention.ms=604800000 --config min.insync.replicas=1
  create payments.replies 3 1 --config cleanup.policy=delete --config retention.ms=604800000 --config min.insync.replicas=1
  create inventory.commands 3 1 --config cleanup.policy=delete --config retention.ms=604800000 --config min.insync.replicas=1
  create inventory.replies 3 1 --config cleanup.policy=delete --config retention.ms=604800000 --config min.insync.replicas=1
  create orders.commands 3 1 --config cleanup.policy=delete --config retention.ms=604800000 --config min.insync.replicas=1
  create streams.order-kpis 1 1 --config cleanup.policy=delete --config retention.ms=604800000 --config min.insync.replicas=1
  create streams.top-products 1 1 --config cleanup.policy=delete --config retention.ms=604800000 --config min.insync.replicas=1
  create streams.live-kpis 1 1 --config cleanup.policy=compact --config min.insync.replicas=1 --config min.cleanable.dirty.ratio=0.1 --config segment.ms=3600000
  create streams.enriched-orders 3 1 --config cleanup.policy=delete --config retention.ms=604800000 --config min.insync.replicas=1
  create streams.revenue-by-tier 1 1 --config cleanup.policy=compact --config min.insync.replicas=1 --config min.cleanable.dirty.ratio=0.1 --config segment.ms=3600000
  create customers.cdc 1 1 --config cleanup.policy=compact --config min.insync.replicas=1 --config min.cleanable.dirty.ratio=0.1 --config segment.ms=3600000
  create products.cdc 1 1 --config cleanup.policy=compact --config min.insync.replicas=1 --config min.cleanable.dirty.ratio=0.1 --config segment.ms=3600000
  create orders.retry.5s 3 1 --config cleanup.policy=delete --config retention.ms=2592000000 --config min.insync.replicas=1
  create orders.retry.30s 3 1 --config cleanup.policy=delete --config retention.ms=2592000000 --config min.insync.replicas=1
  create orders.retry.5m 3 1 --config cleanup.policy=delete --config retention.ms=2592000000 --config min.insync.replicas=1
  create orders.dlq 1 1 --config cleanup.policy=delete --config retention.ms=2592000000 --config min.insync.replicas=1
fi
echo "catálogo aplicado: 29 tópicos"
