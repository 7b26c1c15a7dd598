#!/bin/bash
# GENERATED from infra/src/security (acls.ts, kafka-auth.ts) by infra/src/compose-security.ts. Do not edit;
# regenerate with
#   node_modules/.bin/tsx infra/src/compose-security.ts
# The entrypoint of every Kafka container of compose/: the security of `make up` (KAFKA_AUTH=scram). The
# image's own start formats the storage without SCRAM users (it has no --add-scram), so this script formats
# it first, with every user, then hands over to the image's start, which finds it formatted.
set -euo pipefail

missing=''
for v in VITRINE_KAFKA_PASSWORD_ADMIN VITRINE_KAFKA_PASSWORD_CHECKOUT_API VITRINE_KAFKA_PASSWORD_PAYMENT VITRINE_KAFKA_PASSWORD_INVENTORY VITRINE_KAFKA_PASSWORD_NOTIFICATION VITRINE_KAFKA_PASSWORD_ORCHESTRATOR VITRINE_KAFKA_PASSWORD_GATEWAY VITRINE_KAFKA_PASSWORD_SALES_COUNTER VITRINE_KAFKA_PASSWORD_STREAMS VITRINE_KAFKA_PASSWORD_CONNECT VITRINE_KAFKA_PASSWORD_REGISTRY VITRINE_KAFKA_PASSWORD_DRILL VITRINE_KAFKA_PASSWORD_EXERCISES VITRINE_KAFKA_PASSWORD_CONTROLLER; do
  [ -n "${!v:-}" ] || missing="$missing $v"
done
if [ -n "$missing" ]; then
  echo "Faltam senhas do Kafka em compose/.env:$missing. Na raiz do repositório rode: node_modules/.bin/tsx infra/src/compose-secrets.ts" >&2
  exit 1
fi

# SASL/SCRAM-SHA-512 on the client listeners, PLAIN with its own user on the controller listener,
# StandardAuthorizer with no default allow (infra/src/security/kafka-auth.ts brokerSecurityLines).
export KAFKA_LISTENER_SECURITY_PROTOCOL_MAP="CONTROLLER:SASL_PLAINTEXT,INTERNAL:SASL_PLAINTEXT,HOST:SASL_PLAINTEXT"
export KAFKA_SASL_ENABLED_MECHANISMS="SCRAM-SHA-512"
export KAFKA_SASL_MECHANISM_INTER_BROKER_PROTOCOL="SCRAM-SHA-512"
export KAFKA_LISTENER_NAME_INTERNAL_SCRAM___SHA___512_SASL_JAAS_CONFIG="org.apache.kafka.common.security.scram.ScramLoginModule required username=\"admin\" password=\"${VITRINE_KAFKA_PASSWORD_ADMIN}\";"
export KAFKA_LISTENER_NAME_HOST_SCRAM___SHA___512_SASL_JAAS_CONFIG="org.apache.kafka.common.security.scram.ScramLoginModule required username=\"admin\" password=\"${VITRINE_KAFKA_PASSWORD_ADMIN}\";"
export KAFKA_SASL_MECHANISM_CONTROLLER_PROTOCOL="PLAIN"
export KAFKA_LISTENER_NAME_CONTROLLER_SASL_ENABLED_MECHANISMS="PLAIN"
export KAFKA_LISTENER_NAME_CONTROLLER_PLAIN_SASL_JAAS_CONFIG="org.apache.kafka.common.security.plain.PlainLoginModule required username=\"controller\" password=\"${VITRINE_KAFKA_PASSWORD_CONTROLLER}\" user_controller=\"${VITRINE_KAFKA_PASSWORD_CONTROLLER}\";"
export KAFKA_AUTHORIZER_CLASS_NAME="org.apache.kafka.metadata.authorizer.StandardAuthorizer"
export KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND="false"
export KAFKA_SUPER_USERS="User:admin;User:controller"

# Logins for the healthchecks (this container's user only).
(
umask 077
printf '%s\n' 'security.protocol=SASL_PLAINTEXT' 'sasl.mechanism=SCRAM-SHA-512' \
  "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"admin\" password=\"$VITRINE_KAFKA_PASSWORD_ADMIN\";" > /tmp/vitrine-admin.properties
printf '%s\n' 'security.protocol=SASL_PLAINTEXT' 'sasl.mechanism=PLAIN' \
  "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"controller\" password=\"$VITRINE_KAFKA_PASSWORD_CONTROLLER\";" > /tmp/vitrine-controller.properties
)

data="${KAFKA_LOG_DIRS:-/var/lib/kafka/data}"
marker="$data/vitrine-scram-users"
users='admin checkout-api payment inventory notification orchestrator gateway sales-counter streams connect registry drill exercises'
if [ -s "$data/meta.properties" ]; then
  if [ ! -f "$marker" ]; then
    echo "O volume de dados do Kafka ($data) foi formatado sem usuários SCRAM (por uma versão anterior do compose/). Recomece do zero: docker compose down -v (tópicos e mensagens do Docker recomeçam)." >&2
    exit 1
  fi
  # A user the catalog gained since is made by acl-init (acls.sh), with compose/.env's password.
else
  # server.properties from the KAFKA_* variables, by the image's own generator (it also formats the
  # scratch log dir given here), then the real log dir formatted with every SCRAM user. Without
  # KAFKA_OPTS: the JMX exporter is the broker's alone.
  scratch=$(mktemp -d)
  if ! out=$(KAFKA_OPTS='' KAFKA_LOG_DIRS="$scratch" /opt/kafka/bin/kafka-run-class.sh kafka.docker.KafkaDockerWrapper setup \
      --default-configs-dir /etc/kafka/docker --mounted-configs-dir /mnt/shared/config --final-configs-dir /opt/kafka/config 2>&1); then
    echo "$out" >&2
    exit 1
  fi
  sed "s|^log.dirs=.*|log.dirs=$data|" /opt/kafka/config/server.properties > "$scratch/format.properties"
  KAFKA_OPTS='' /opt/kafka/bin/kafka-storage.sh format --cluster-id "$CLUSTER_ID" --config "$scratch/format.properties" \
  --add-scram "SCRAM-SHA-512=[name=admin,password=${VITRINE_KAFKA_PASSWORD_ADMIN}]" \
  --add-scram "SCRAM-SHA-512=[name=checkout-api,password=${VITRINE_KAFKA_PASSWORD_CHECKOUT_API}]" \
  --add-scram "SCRAM-SHA-512=[name=payment,password=${VITRINE_KAFKA_PASSWORD_PAYMENT}]" \
  --add-scram "SCRAM-SHA-512=[name=inventory,password=${VITRINE_KAFKA_PASSWORD_INVENTORY}]" \
  --add-scram "SCRAM-SHA-512=[name=notification,password=${VITRINE_KAFKA_PASSWORD_NOTIFICATION}]" \
  --add-scram "SCRAM-SHA-512=[name=orchestrator,password=${VITRINE_KAFKA_PASSWORD_ORCHESTRATOR}]" \
  --add-scram "SCRAM-SHA-512=[name=gateway,password=${VITRINE_KAFKA_PASSWORD_GATEWAY}]" \
  --add-scram "SCRAM-SHA-512=[name=sales-counter,password=${VITRINE_KAFKA_PASSWORD_SALES_COUNTER}]" \
  --add-scram "SCRAM-SHA-512=[name=streams,password=${VITRINE_KAFKA_PASSWORD_STREAMS}]" \
  --add-scram "SCRAM-SHA-512=[name=connect,password=${VITRINE_KAFKA_PASSWORD_CONNECT}]" \
  --add-scram "SCRAM-SHA-512=[name=registry,password=${VITRINE_KAFKA_PASSWORD_REGISTRY}]" \
  --add-scram "SCRAM-SHA-512=[name=drill,password=${VITRINE_KAFKA_PASSWORD_DRILL}]" \
  --add-scram "SCRAM-SHA-512=[name=exercises,password=${VITRINE_KAFKA_PASSWORD_EXERCISES}]"
  rm -rf "$scratch"
  printf '%s\n' $users > "$marker"
fi

exec /etc/kafka/docker/run
