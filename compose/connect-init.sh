#!/bin/sh
# Registers Debezium's connector (compose/cdc-connector.json, the same config infra/src/streams-connect.ts
# sends locally) with an idempotent PUT. Its tables appear when checkout-api and inventory first start
# (their migrations): until then the task fails, so a failed task is restarted until it runs.
set -u
url=http://connect:8083/connectors/vitrine-cdc
until curl -fsS -o /dev/null -X PUT -H 'content-type: application/json' --data @/vitrine/cdc-connector.json "$url/config"; do sleep 2; done
echo "connector vitrine-cdc registered"
i=0
while [ $i -lt 720 ]; do
  status=$(curl -fsS "$url/status" || true)
  case "$status" in
    *'"tasks":[{'*RUNNING*) echo "connector vitrine-cdc running"; exit 0 ;;
    *FAILED*) curl -fsS -o /dev/null -X POST "$url/restart?includeTasks=true&onlyFailed=true" || true ;;
  esac
  i=$((i + 1))
  sleep 5
done
echo "connector vitrine-cdc did not reach RUNNING in 1 hour (are checkout-api and inventory started?): $status"
exit 1
