#!/bin/sh
# GENERATED from infra/src/security/acls.ts by infra/src/compose-security.ts. Do not edit; regenerate with
#   node_modules/.bin/tsx infra/src/compose-security.ts
# Makes the SCRAM users the cluster lacks and grants each principal the ACLs of the catalog (and the
# Confluent registry's, compose-security.ts), as `make up` does (run by the acl-init service in
# compose.yaml). It only adds: an ACL granted by hand for a drill stays until kafka-acls --remove.
set -eu
BOOTSTRAP="${BOOTSTRAP:-kafka:19092}"
KAFKA_ACLS="${KAFKA_ACLS:-/opt/kafka/bin/kafka-acls.sh}"
KAFKA_CONFIGS="${KAFKA_CONFIGS:-/opt/kafka/bin/kafka-configs.sh}"
# With compose's SASL (the admin's password from compose/.env) Kafka's tools log in as the admin.
COMMAND_CONFIG="${COMMAND_CONFIG:-}"
if [ -z "$COMMAND_CONFIG" ] && [ -n "${VITRINE_KAFKA_PASSWORD_ADMIN:-}" ]; then
  COMMAND_CONFIG=$(mktemp)
  chmod 600 "$COMMAND_CONFIG"
  printf '%s\n' 'security.protocol=SASL_PLAINTEXT' 'sasl.mechanism=SCRAM-SHA-512' \
    "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"admin\" password=\"$VITRINE_KAFKA_PASSWORD_ADMIN\";" > "$COMMAND_CONFIG"
fi
failed=0

# A user the cluster has is left as it is; a missing one is made with compose/.env's password.
have=$("$KAFKA_CONFIGS" --bootstrap-server "$BOOTSTRAP" ${COMMAND_CONFIG:+--command-config "$COMMAND_CONFIG"} --describe --entity-type users)
user () {
  case "$have" in
    *"user-principal '$1' "*) return 0 ;;
  esac
  if [ -z "$2" ]; then
    echo "O usuário SCRAM $1 não existe no Kafka e compose/.env não tem a senha dele: rode node_modules/.bin/tsx infra/src/compose-secrets.ts na raiz do repositório." >&2
    failed=1
    return 0
  fi
  "$KAFKA_CONFIGS" --bootstrap-server "$BOOTSTRAP" ${COMMAND_CONFIG:+--command-config "$COMMAND_CONFIG"} --alter \
    --add-config "SCRAM-SHA-512=[password=$2]" --entity-type users --entity-name "$1" > /dev/null || failed=1
  echo "usuário SCRAM criado: $1"
}
user admin "${VITRINE_KAFKA_PASSWORD_ADMIN:-}"
user checkout-api "${VITRINE_KAFKA_PASSWORD_CHECKOUT_API:-}"
user payment "${VITRINE_KAFKA_PASSWORD_PAYMENT:-}"
user inventory "${VITRINE_KAFKA_PASSWORD_INVENTORY:-}"
user notification "${VITRINE_KAFKA_PASSWORD_NOTIFICATION:-}"
user orchestrator "${VITRINE_KAFKA_PASSWORD_ORCHESTRATOR:-}"
user gateway "${VITRINE_KAFKA_PASSWORD_GATEWAY:-}"
user sales-counter "${VITRINE_KAFKA_PASSWORD_SALES_COUNTER:-}"
user streams "${VITRINE_KAFKA_PASSWORD_STREAMS:-}"
user connect "${VITRINE_KAFKA_PASSWORD_CONNECT:-}"
user registry "${VITRINE_KAFKA_PASSWORD_REGISTRY:-}"
user drill "${VITRINE_KAFKA_PASSWORD_DRILL:-}"
user exercises "${VITRINE_KAFKA_PASSWORD_EXERCISES:-}"

# Four at a time: each line is a JVM start.
pids=''
acl () {
  "$KAFKA_ACLS" --bootstrap-server "$BOOTSTRAP" ${COMMAND_CONFIG:+--command-config "$COMMAND_CONFIG"} --add "$@" > /dev/null &
  pids="$pids $!"
  set -- $pids
  if [ $# -ge 4 ]; then drain; fi
}
drain () {
  for p in $pids; do wait "$p" || failed=1; done
  pids=''
}

acl --allow-principal User:checkout-api --resource-pattern-type LITERAL --operation Describe --operation Write --topic orders.new --topic orders.confirmed --topic orders.failed
acl --allow-principal User:checkout-api --allow-principal User:payment --allow-principal User:inventory --allow-principal User:notification --allow-principal User:orchestrator --resource-pattern-type LITERAL --operation Describe --operation Read --operation Write --topic orders.retry.5s --topic orders.retry.30s --topic orders.retry.5m --topic orders.dlq
acl --allow-principal User:checkout-api --resource-pattern-type LITERAL --operation Describe --operation Read --topic products.catalog --topic payments.failed --topic inventory.reserved --topic inventory.failed --topic orders.commands
acl --allow-principal User:checkout-api --resource-pattern-type LITERAL --operation Describe --operation Read --group checkout-api
acl --allow-principal User:checkout-api --resource-pattern-type PREFIXED --operation Describe --operation Read --group checkout-api- --group vitrine-reader-
acl --allow-principal User:payment --resource-pattern-type LITERAL --operation Describe --operation Write --topic payments.requested --topic payments.approved --topic payments.failed --topic payments.refunded --topic payments.replies
acl --allow-principal User:payment --resource-pattern-type LITERAL --operation Describe --operation Read --topic orders.new --topic inventory.failed --topic orders.failed --topic payments.commands
acl --allow-principal User:payment --resource-pattern-type LITERAL --operation Describe --operation Read --group payment
acl --allow-principal User:payment --resource-pattern-type PREFIXED --operation Describe --operation Read --group payment- --group vitrine-reader-
acl --allow-principal User:inventory --resource-pattern-type LITERAL --operation Describe --operation Write --topic products.catalog --topic inventory.reserved --topic inventory.failed --topic inventory.released --topic inventory.replies
acl --allow-principal User:inventory --resource-pattern-type LITERAL --operation Describe --operation Read --topic payments.approved --topic orders.confirmed --topic orders.failed --topic inventory.commands
acl --allow-principal User:inventory --resource-pattern-type LITERAL --operation Describe --operation Read --group inventory
acl --allow-principal User:inventory --resource-pattern-type PREFIXED --operation Describe --operation Read --group inventory- --group vitrine-reader-
acl --allow-principal User:notification --resource-pattern-type LITERAL --operation Describe --operation Write --topic notifications.sent
acl --allow-principal User:notification --resource-pattern-type LITERAL --operation Describe --operation Read --topic inventory.failed --topic orders.confirmed --topic orders.failed
acl --allow-principal User:notification --resource-pattern-type LITERAL --operation Describe --operation Read --group notification
acl --allow-principal User:notification --resource-pattern-type PREFIXED --operation Describe --operation Read --group notification- --group vitrine-reader-
acl --allow-principal User:orchestrator --resource-pattern-type LITERAL --operation Describe --operation Write --topic payments.commands --topic inventory.commands --topic orders.commands
acl --allow-principal User:orchestrator --resource-pattern-type LITERAL --operation Describe --operation Read --topic orders.new --topic payments.replies --topic inventory.replies
acl --allow-principal User:orchestrator --resource-pattern-type LITERAL --operation Describe --operation Read --group orchestrator
acl --allow-principal User:orchestrator --resource-pattern-type PREFIXED --operation Describe --operation Read --group orchestrator- --group vitrine-reader-
acl --allow-principal User:gateway --resource-pattern-type LITERAL --operation Describe --operation Read --topic products.catalog --topic orders.new --topic payments.requested --topic payments.approved --topic payments.failed --topic payments.refunded --topic inventory.reserved --topic inventory.failed --topic inventory.released --topic orders.confirmed --topic sales.totals --topic orders.failed --topic notifications.sent --topic payments.commands --topic payments.replies --topic inventory.commands --topic inventory.replies --topic orders.commands --topic streams.order-kpis --topic streams.top-products --topic streams.live-kpis --topic streams.enriched-orders --topic streams.revenue-by-tier --topic orders.dlq
acl --allow-principal User:gateway --resource-pattern-type LITERAL --operation Describe --operation Read --group gateway
acl --allow-principal User:gateway --resource-pattern-type PREFIXED --operation Describe --operation Read --group gateway-
acl --allow-principal User:gateway --resource-pattern-type LITERAL --operation Create --operation Delete --operation Describe --operation DescribeConfigs --operation Read --topic '*'
acl --allow-principal User:gateway --resource-pattern-type LITERAL --operation Describe --group '*'
acl --allow-principal User:gateway --resource-pattern-type LITERAL --operation Describe --operation DescribeConfigs --cluster
acl --allow-principal User:gateway --resource-pattern-type PREFIXED --operation Alter --operation Create --operation Delete --operation Describe --operation DescribeConfigs --operation Read --operation Write --topic lab.
acl --allow-principal User:gateway --resource-pattern-type PREFIXED --operation Delete --operation Describe --operation Read --group lab.
acl --deny-principal User:gateway --resource-pattern-type PREFIXED --operation Delete --operation Read --topic connect.
acl --deny-principal User:gateway --resource-pattern-type LITERAL --operation Delete --operation Read --topic kafkasql-journal --topic kafkasql-snapshots --topic registry-events --topic _schemas
acl --deny-principal User:gateway --resource-pattern-type LITERAL --operation Delete --topic products.catalog --topic orders.new --topic payments.requested --topic payments.approved --topic payments.failed --topic payments.refunded --topic inventory.reserved --topic inventory.failed --topic inventory.released --topic orders.confirmed --topic sales.totals --topic orders.failed --topic notifications.sent --topic payments.commands --topic payments.replies --topic inventory.commands --topic inventory.replies --topic orders.commands --topic streams.order-kpis --topic streams.top-products --topic streams.live-kpis --topic streams.enriched-orders --topic streams.revenue-by-tier --topic customers.cdc --topic products.cdc --topic orders.retry.5s --topic orders.retry.30s --topic orders.retry.5m --topic orders.dlq
acl --allow-principal User:sales-counter --resource-pattern-type LITERAL --operation Describe --operation Read --operation Write --topic sales.totals --topic orders.dlq
acl --allow-principal User:sales-counter --resource-pattern-type LITERAL --operation Describe --operation Read --topic orders.confirmed
acl --allow-principal User:sales-counter --resource-pattern-type LITERAL --operation Describe --operation Read --group sales-counter
acl --allow-principal User:sales-counter --resource-pattern-type PREFIXED --operation Describe --operation Read --group sales-counter- --group vitrine-reader-
acl --allow-principal User:sales-counter --resource-pattern-type PREFIXED --operation Describe --operation Write --transactional-id sales-counter-
acl --allow-principal User:streams --resource-pattern-type LITERAL --operation Describe --operation Write --topic streams.order-kpis --topic streams.top-products --topic streams.live-kpis --topic streams.enriched-orders --topic streams.revenue-by-tier
acl --allow-principal User:streams --resource-pattern-type LITERAL --operation Describe --operation Read --topic orders.new --topic orders.confirmed --topic customers.cdc --topic products.cdc
acl --allow-principal User:streams --resource-pattern-type LITERAL --operation Describe --operation Read --group streams
acl --allow-principal User:streams --resource-pattern-type PREFIXED --operation Describe --operation Read --group streams-
acl --allow-principal User:streams --resource-pattern-type PREFIXED --operation Describe --operation Write --transactional-id vitrine-
acl --allow-principal User:connect --resource-pattern-type LITERAL --operation Describe --operation Write --topic customers.cdc --topic products.cdc
acl --allow-principal User:connect --resource-pattern-type LITERAL --operation Describe --operation Read --group connect
acl --allow-principal User:connect --resource-pattern-type LITERAL --operation Create --operation Describe --operation DescribeConfigs --operation Read --operation Write --topic connect.configs --topic connect.offsets --topic connect.status
acl --allow-principal User:connect --resource-pattern-type PREFIXED --operation Create --operation Describe --operation Write --topic connect.heartbeat
acl --allow-principal User:registry --resource-pattern-type LITERAL --operation Create --operation Describe --operation DescribeConfigs --operation Read --operation Write --topic kafkasql-journal --topic kafkasql-snapshots --topic registry-events --topic _schemas
acl --allow-principal User:registry --resource-pattern-type PREFIXED --operation Describe --operation Read --group apicurio- --group schema-registry
acl --allow-principal User:exercises --resource-pattern-type PREFIXED --operation AlterConfigs --operation Create --operation Delete --operation Describe --operation DescribeConfigs --operation Read --operation Write --topic ex
acl --allow-principal User:exercises --resource-pattern-type PREFIXED --operation Delete --operation Describe --operation Read --group ex
acl --allow-principal User:exercises --resource-pattern-type PREFIXED --operation Describe --operation Read --group vitrine-exercise --group vitrine-reader-
acl --allow-principal User:exercises --resource-pattern-type LITERAL --operation Describe --operation Read --topic products.catalog --topic orders.new --topic payments.requested --topic payments.approved --topic payments.failed --topic payments.refunded --topic inventory.reserved --topic inventory.failed --topic inventory.released --topic orders.confirmed --topic sales.totals --topic orders.failed --topic notifications.sent --topic payments.commands --topic payments.replies --topic inventory.commands --topic inventory.replies --topic orders.commands --topic streams.order-kpis --topic streams.top-products --topic streams.live-kpis --topic streams.enriched-orders --topic streams.revenue-by-tier --topic customers.cdc --topic products.cdc --topic orders.retry.5s --topic orders.retry.30s --topic orders.retry.5m --topic orders.dlq
acl --allow-principal User:exercises --resource-pattern-type LITERAL --operation Describe --group checkout-api --group payment --group inventory --group notification --group orchestrator --group gateway --group sales-counter --group streams
acl --allow-principal User:exercises --resource-pattern-type PREFIXED --operation Describe --group checkout-api- --group payment- --group inventory- --group notification- --group orchestrator- --group gateway- --group sales-counter- --group streams-
drain
if [ "$failed" != 0 ]; then
  echo "kafka-configs ou kafka-acls falhou (veja acima): os usuários e as ACLs do catálogo não estão todos no broker" >&2
  exit 1
fi
echo "ACLs aplicadas: 447 regras para 11 principals"
