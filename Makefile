# Common commands. `make help` lists them.
.DEFAULT_GOAL := help
.PHONY: help setup build test start

help: ## list the targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 20

setup: ## install pnpm, the workspace and the Debian packages the tests use
	tools/setup.sh

build: ## build every package and app
	pnpm build

test: ## build and run every test
	pnpm test

start: ## build and run the exporters on this host (Ctrl-C stops them)
	pnpm start

# Release: single executables, their measurements (see tools/release).
.PHONY: binaries measure-binaries
binaries: ## build the exporters as single executables: dist/bin/{cpu,gpu}_exporter-linux-{x64,arm64}
	pnpm nx run @proj/release:binaries --output-style=stream

measure-binaries: ## sizes of dist/bin's binaries and their start-up time to first /metrics (after make binaries)
	pnpm nx run @proj/release:measure --output-style=stream

# The telemetry stack (infra/): Docker Compose on the lab's hosts, `make stack` where there is no Docker.
# COMPOSE is Compose v2 (`docker compose`) when present, else v1 (`docker-compose`).
COMPOSE ?= $(shell docker compose version >/dev/null 2>&1 && echo "docker compose" || echo docker-compose)
DC = $(COMPOSE) -p power-exporters -f infra/compose/docker-compose.yml
ALL_PROFILES = --profile nvidia --profile compare
.PHONY: vm-up vm-up-build nvidia-up compare-up down logs compose-config stack

vm-up: ## Compose: VictoriaMetrics (:8428), Prometheus (:9090), Grafana (:3000)
	$(DC) up -d victoriametrics prometheus grafana

vm-up-build: ## Compose: build the exporter images, start the above and the CPU exporter (:9510)
	$(DC) up -d --build

nvidia-up: ## Compose: all of vm-up-build and the GPU exporter (:9511; NVIDIA Container Toolkit)
	$(DC) --profile nvidia up -d --build

compare-up: ## Compose: all of vm-up-build and node_exporter's RAPL collector, the reference
	$(DC) --profile compare up -d --build

down: ## Compose: stop and remove every service of every profile (data volumes are kept)
	$(DC) $(ALL_PROFILES) down

logs: ## Compose: follow the logs of every service
	$(DC) $(ALL_PROFILES) logs -f --tail=100

compose-config: ## Compose: validate the compose file (offline)
	$(DC) $(ALL_PROFILES) config -q

stack: ## the same stack without Docker, from installed binaries; ARGS="--help" for options
	pnpm stack $(ARGS)
