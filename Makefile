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
