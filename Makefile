# Hybridgate: the two commands a newcomer needs are `make demo` and `make test` (see README.md).
# Every target does its own set-up and says what it is doing.
SHELL := /bin/bash
.DEFAULT_GOAL := help
NODE_OPTIONS_TEST := --experimental-vm-modules

.PHONY: help deps build typecheck lint format test test-unit envtest postgres test-packages demo bench run image helm-lint docs clean

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

# npm ci first; some registry mirrors list no packages for other platforms, so the lock file lacks
# their optional entries and npm ci refuses it: then install the locked versions with npm install.
node_modules/.installed: package.json package-lock.json
	@echo "==> installing npm dependencies (npm ci)"
	@npm ci --no-audit --no-fund || { \
	  echo "==> npm ci refused the lock file; installing the locked versions with npm install --no-save"; \
	  npm install --no-audit --no-fund --no-save; }
	@touch $@

deps: node_modules/.installed ## install npm dependencies

build: deps ## compile TypeScript to dist/
	@echo "==> compiling TypeScript (tsc -p tsconfig.build.json)"
	@rm -rf dist && npx tsc -p tsconfig.build.json

typecheck: deps ## type-check everything, tests included
	@echo "==> type-checking (tsc --noEmit)"
	@npx tsc --noEmit

lint: deps ## eslint and the prettier format check
	@echo "==> linting (eslint) and checking formatting (prettier --check)"
	@npx eslint .
	@npx prettier --check .

format: deps ## rewrite files in the project's format
	@npx prettier --write .

envtest: ## build (once, cached in ~/.cache/hybridgate) kube-apiserver, etcd, kubectl, helm for the tests
	@echo "==> test binaries: kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, etcd, helm"
	@hack/install-test-binaries.sh

test-packages: ## install the Debian packages whose commands the tests run (iproute2, util-linux, openssl), when missing
	@echo "==> commands the tests run (ip, unshare, nsenter, getent, openssl; apt-get only when missing)"
	@hack/install-test-packages.sh

postgres: ## install Debian's PostgreSQL server (the store tests start their own on a loopback port)
	@echo "==> PostgreSQL server for the store tests (Debian's package, installed once)"
	@hack/install-postgres.sh

test-unit: build envtest postgres test-packages ## run the jest suites (unit, multi-process, envtest, end-to-end on the local node)
	@echo "==> running the test suites (jest)"
	HYBRIDGATE_TEST_BIN_DIR=$$(hack/install-test-binaries.sh --print-dir) NODE_OPTIONS=$(NODE_OPTIONS_TEST) npx jest --ci

test: lint typecheck test-unit ## run every check and test

.PHONY: e2e e2e-kind

e2e: build envtest test-packages ## the end-to-end scenarios (helm install, samples, traffic, scaling, rotation, upgrade) on the local test cluster
	@echo "==> end-to-end scenarios on the local node (jest test/e2e; each scenario prints its wall time)"
	HYBRIDGATE_TEST_BIN_DIR=$$(hack/install-test-binaries.sh --print-dir) NODE_OPTIONS=$(NODE_OPTIONS_TEST) npx jest --ci --runInBand test/e2e

e2e-kind: deps ## the same scenarios on a kind cluster (needs Docker and kind; creates and deletes the cluster)
	@hack/e2e-kind.sh

demo: build ## a control plane and two data planes on this machine, a sample config and an echo upstream
	@node hack/demo.mjs

bench: build ## run the benchmarks (not tests): proxy throughput against nginx, propagation to data planes
	@for b in bench/*.mjs; do echo "==> $$b"; node $$b || exit 1; done

run: build ## run the operator against the current kubeconfig (install the CRDs first: kubectl apply -f crds/)
	node bin/hybridgate.js operator

image: ## build the container image (needs a Docker engine)
	docker build -t hybridgate/hybridgate:$$(node -p "require('./package.json').version") .

helm-lint: ## lint the Helm chart
	@echo "==> linting the Helm chart (helm lint --strict charts/hybridgate; CRDs in sync with crds/)"
	@hack/sync-chart-crds.sh --check
	@$$(hack/install-test-binaries.sh --print-dir)/helm lint --strict charts/hybridgate

docs: build ## regenerate docs/configuration.md and docs/crds.md from the code and crds/
	@echo "==> writing the configuration and CRD references (tests fail when they are stale)"
	@node hack/generate-docs.mjs

clean: ## remove build outputs
	rm -rf dist coverage
