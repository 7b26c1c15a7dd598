# Vitrine: one command to run the shop, one to prove it works. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)
export UV_THREADPOOL_SIZE ?= 32

TSX := node_modules/.bin/tsx
# One node process with tsx's loader (the tsx binary would start a second one).
CLI := node --import tsx infra/src/cli.ts
BROKERS ?= 1
export BROKERS

# dlq and dlq-replay: the dead-letter drill in runbooks/01-dlq.md.
.PHONY: dlq dlq-replay
# Through as-admin.ts: on a KAFKA_AUTH=scram stack they log in to Kafka as its admin.
dlq: setup
	@$(TSX) infra/src/security/as-admin.ts services/kit/src/ops/dlq-cli.ts list

dlq-replay: setup
	@$(TSX) infra/src/security/as-admin.ts services/kit/src/ops/dlq-cli.ts replay

# compose-senhas: the Kafka passwords of compose/ in compose/.env (600, git-ignored), the local stack's own (compose/README.md).
.PHONY: compose-senhas
compose-senhas: deps
	@node --import tsx infra/src/compose-secrets.ts

# kafka-senha: a new SCRAM password for S on the broker (kafka-configs), then in <state>/secrets (runbooks/07-seguranca.md).
.PHONY: kafka-senha
kafka-senha: deps
	@node --import tsx infra/src/security/rotate.ts $(S)

.PHONY: observability-tools help setup prefetch deps up down status start stop restart kill reset exercicio exercicios chaos demo compare test test-full test-unit test-integration test-e2e bench bench-kafka lint typecheck browser clean

help:
	@echo "make demo        - instala o que falta, sobe tudo, semeia dados, envia pedidos e mostra as URLs"
	@echo "make compare     - o mesmo pedido em coreografia e em orquestração, lado a lado, lido do Kafka pelo gateway"
	@echo "                   (com make demo rodando; CLIENTE=ana-fail-payment ou ITENS=prod_6:100 mudam o pedido)"
	@echo "make test        - instala o que falta, roda lint e typecheck e depois todos os testes"
	@echo "make test-full   - make test e mais as suítes pesadas (matriz de falhas, cenários longos)"
	@echo "make up | down | status   - controla os componentes locais (Kafka, PostgreSQL, Schema Registry, Prometheus, Alertmanager, Flink, Kafka Connect)"
	@echo "make restart S=inventory  - start | stop | restart | kill (SIGKILL, um crash de verdade) de um componente"
	@echo "make reset       - zera a loja: pedidos, pagamentos, reservas, estoque de volta ao seed, offsets no fim"
	@echo "make exercicios  - os exercícios do curso (runbooks/exercicios) e o status de cada um"
	@echo "make exercicio N=3 - prepara o exercício 3 (na primeira vez; RESET=1 recomeça) e diz o que ainda falta ou ✔ feito"
	@echo "make chaos       - as simulações de caos; make chaos CENA=pagamento-parado roda uma (com make demo rodando); CENA=matriz roda a matriz de falhas"
	@echo "make prefetch    - baixa antes tudo o que a primeira execução precisa (pacotes npm, jars, pacotes Debian como root): aula com rede fraca"
	@echo "make dlq | dlq-replay - vê a orders.dlq e devolve mensagens aos grupos (runbooks/01-dlq.md)"
	@echo "make kafka-senha S=checkout-api - troca a senha SCRAM de um serviço (runbooks/07-seguranca.md)"
	@echo "make compose-senhas - senhas do Kafka do compose/ em compose/.env (antes do docker compose up; compose/README.md)"
	@echo "make bench       - benchmarks (razões contra o teto do próprio Kafka)"
	@echo "make bench-kafka - só o teto do Kafka (ProducerPerformance, ConsumerPerformance, EndToEndLatency)"
	@echo "BROKERS=3 make demo - cluster de 3 brokers (replicação 3, min.insync.replicas=2)"
	@echo "make demo LITE=1 - sem Flink e sem Kafka Connect (máquinas com pouca memória): sem KPIs, página SQL e CDC"

# pnpm: corepack cannot fetch it everywhere, so npm installs it when missing.
deps:
	@command -v node >/dev/null || { echo "Node.js 20+ é necessário"; exit 1; }
	@command -v pnpm >/dev/null || { echo "▶ Instalando pnpm (npm i -g pnpm@10)"; npm i -g pnpm@10 >/dev/null; }
	@if [ ! -f node_modules/.modules.yaml ] || [ pnpm-lock.yaml -nt node_modules/.modules.yaml ] || [ package.json -nt node_modules/.modules.yaml ]; then \
	  echo "▶ pnpm install (a primeira vez compila o librdkafka: 2-3 minutos)"; start=$$(date +%s); \
	  pnpm install --frozen-lockfile --reporter=append-only | grep -vE '^\.\.\./node_modules/node-rdkafka install: (gcc|g\+\+|make|cc|  )' ; \
	  test $${PIPESTATUS[0]} -eq 0 || exit 1; \
	  echo "✔ pnpm install ($$(( $$(date +%s) - start ))s)"; \
	fi

setup: deps observability-tools
	@$(CLI) setup

# Downloads ahead what setup, observability-tools and browser would (infra/src/prefetch.ts reuses setup's steps).
prefetch: deps
	@$(CLI) prefetch

# Debian's prometheus and prometheus-alertmanager (promtool, amtool): our supervisor runs them, never
# their service scripts, so a policy-rc.d keeps apt from starting them (Alertmanager's 9093 is Kafka's)
# and their units are disabled where systemd runs. Without root: one line saying what is skipped.
# Homebrew names Alertmanager `alertmanager` (Debian: prometheus-alertmanager); infra/src/prometheus.ts finds either.
observability-tools:
	@if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null || ! command -v amtool >/dev/null || ! { command -v prometheus-alertmanager || command -v alertmanager; } >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "▶ Instalando prometheus e prometheus-alertmanager (apt-get, ~360 MB instalados)"; \
	    own_policy=no; if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && own_policy=yes; fi; \
	    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus prometheus-alertmanager >/dev/null; rc=$$?; \
	    if [ $$own_policy = yes ]; then rm -f /usr/sbin/policy-rc.d; fi; \
	    if [ -d /run/systemd/system ]; then systemctl disable --now prometheus prometheus-alertmanager >/dev/null 2>&1 || true; fi; \
	    exit $$rc; \
	  elif [ -n "$$CI" ] && [ "$$CI" != false ] && [ "$$CI" != 0 ]; then \
	    echo "prometheus/prometheus-alertmanager não encontrados e CI=$$CI: os testes de alertas e métricas não podem ser pulados na CI. Instale os pacotes prometheus e prometheus-alertmanager (apt-get install --no-install-recommends prometheus prometheus-alertmanager)."; exit 1; \
	  else echo "prometheus/prometheus-alertmanager não encontrados: instale os pacotes prometheus e prometheus-alertmanager (apt-get install --no-install-recommends prometheus prometheus-alertmanager); sem eles o Prometheus e o Alertmanager não sobem e os testes de alertas são pulados (com CI=true eles falham)"; fi; \
	fi

# cli up checks and installs what setup does itself: one process instead of two.
up: deps
	@$(CLI) up

down:
	@if [ -x $(TSX) ]; then $(CLI) down; else echo "nada para parar"; fi

# The control plane (infra/src/control): through its API on CONTROL_PORT when make demo runs it,
# otherwise in this process. S names one component (make status lists them).
CONTROL := $(TSX) infra/src/control/cli.ts
status:
	@$(CONTROL) status

start stop restart kill:
	@$(CONTROL) $@ $(S)

# Orders, payments, reservations, notifications, sagas gone; stock back to the seed; offsets at the end.
reset: setup
	@$(CONTROL) reset

# The course's exercises (runbooks/exercicios): N's setup the first time (or again with RESET=1), then
# its checker's verdict; through the control plane's API when make demo runs it.
exercicio: setup
	@$(TSX) infra/src/exercises/cli.ts exercicio "$(N)" $(if $(filter 1 true yes,$(RESET)),--reset)

exercicios: setup
	@$(TSX) infra/src/exercises/cli.ts exercicios

# Chaos drills (infra/src/chaos): without CENA the list of scenes; CENA=<scene> runs one through the
# control plane of the running demo (SEGUNDOS= changes the fault's length); CENA=matriz runs the
# automated fault matrix (services/saga-tests/test/full/fault-matrix.test.ts).
chaos: setup
	@$(if $(filter matriz,$(CENA)),cd services/saga-tests && UV_THREADPOOL_SIZE=32 node --import tsx --test --test-concurrency=1 test/full/fault-matrix.test.ts,$(TSX) infra/src/chaos/cli.ts "$(CENA)" "$(SEGUNDOS)")

# VITRINE_T0: when make demo started, so the demo reports how long its first confirmed order took.
demo: export VITRINE_T0 := $(shell date +%s%3N)
# The payment triggers (pay-ok, fail-payment...) work in class only: on here, off by default (TEACHING_MODE=0 make demo turns them off).
demo: export TEACHING_MODE ?= 1
demo: setup
	@node --import tsx infra/src/demo.ts

# Needs the demo running (the gateway on :3010, plus APP_PORT_OFFSET). CLIENTE and ITENS (produto:qtd,...) change the order; prices come from the catalog.
compare:
	@$(TSX) infra/src/security/as-admin.ts services/gateway/scripts/compare.ts $(if $(CLIENTE),--cliente $(CLIENTE)) $(if $(ITENS),--itens $(ITENS))

# Debian's chromium drives the browser tests (a test tool cannot download its own browser here).
browser:
	@if ! command -v chromium >/dev/null && [ ! -x "$$CHROMIUM_PATH" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "▶ Instalando chromium (apt-get)"; apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null || exit 1; \
	  elif [ -n "$$CI" ] && [ "$$CI" != false ] && [ "$$CI" != 0 ]; then \
	    echo "chromium não encontrado e CI=$$CI: os testes de navegador não podem ser pulados na CI. Instale o pacote chromium (apt-get install chromium) ou aponte CHROMIUM_PATH."; exit 1; \
	  else echo "chromium não encontrado: instale o pacote chromium (testes de navegador serão pulados; com CI=true eles falham)"; fi; \
	fi

# The suites drive the shared stack as its admin surface, so they run it PLAINTEXT and without login
# (KAFKA_AUTH=none HTTP_AUTH=none); the security suites (ACL and JWT matrices, the drill, first-run's
# default start) bring SCRAM and JWT up themselves. make demo and make up keep the defaults: scram and jwt.
# The benchmarks too: they measure the shop against Kafka's own tools, which log in to nothing.
test-unit test-integration test test-full bench bench-kafka: export KAFKA_AUTH ?= none
test-unit test-integration test test-full bench bench-kafka: export HTTP_AUTH ?= none

test-unit: setup
	@pnpm -r --workspace-concurrency=1 --reporter=append-only test:unit

# Broker-backed suites: they need the real stack; `make test` starts it (and stops it again if it was not running).
test-integration: setup
	@pnpm -r --workspace-concurrency=1 --reporter=append-only test:integration

# lint and typecheck first: CI passes only when the code is clean, not just when the tests pass.
# No make-test suite uses the shared Flink or Connect (their tests start private ones), so the stack starts
# LITE here: two idle JVMs and Debezium capturing every test's writes would only take CPU from the suites.
test: setup browser lint typecheck
	@was_up=$$($(CLI) status | grep -q 'kafka-1 .*rodando' && echo yes || echo no); \
	LITE=1 $(CLI) up || exit 1; \
	pnpm -r --workspace-concurrency=1 --reporter=append-only test:unit && \
	pnpm -r --workspace-concurrency=1 --no-bail --reporter=append-only test:integration; rc=$$?; \
	if [ "$$was_up" = no ]; then $(CLI) down >/dev/null; fi; \
	exit $$rc

# Everything make test runs, then the heavy tier (test/full in each package: fault matrix, long scenarios).
test-full: setup browser lint typecheck
	@was_up=$$($(CLI) status | grep -q 'kafka-1 .*rodando' && echo yes || echo no); \
	$(CLI) up || exit 1; \
	pnpm -r --workspace-concurrency=1 --reporter=append-only test:unit && \
	pnpm -r --workspace-concurrency=1 --reporter=append-only test:integration && \
	pnpm -r --workspace-concurrency=1 --no-bail --reporter=append-only --if-present test:full; rc=$$?; \
	if [ "$$was_up" = no ]; then $(CLI) down >/dev/null; fi; \
	exit $$rc

# QUICK=1 measures fewer records: a rough ceiling in about half the time.
bench-kafka: setup
	@$(CLI) up && $(TSX) infra/src/bench/kafka-ceiling.ts $(if $(QUICK),--quick)

bench: setup
	@$(CLI) up && $(TSX) infra/src/bench/run.ts $(BENCH_ARGS)

typecheck: setup
	@pnpm -r --reporter=append-only typecheck

lint: setup
	@pnpm exec eslint .

# PostgreSQL's files may live outside .vitrine (as root, when the postgres user cannot enter the project): cli clean removes those too.
clean: down
	@if [ -x $(TSX) ]; then $(CLI) clean; fi
	rm -rf .vitrine
