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
