# Kurator (Go). `make test` is the one command CI runs (see .ci/run).
GO ?= go
BIN := $(CURDIR)/bin
K8S_BIN ?= $(HOME)/.cache/kurator/k8s-v1.37.2/bin
export KURATOR_K8S_BIN := $(K8S_BIN)
HELM_BIN ?= $(HOME)/.cache/kurator/helm-v4.3.1/bin
REGISTRY_BIN ?= $(HOME)/.cache/kurator/registry-v3.1.2/bin
export KURATOR_REGISTRY_BIN := $(REGISTRY_BIN)

.PHONY: build web web-test k8s helm registry up down test e2e bench-e2e unit fuzz bench bench-propagation bench-failover bench-imagesync bench-rollout bench-scale generate verify images

build: web ## build the kurator CLI and manager into ./bin (the dashboard's web assets embedded)
	$(GO) build -o $(BIN)/ ./cmd/...

# OCI images of kurator-manager, kurator (CLI + dashboard) and kurator-agent without Docker,
# into OCI layouts bin/images/<name>/ and bin/images/digests.txt; the same
# tree and SOURCE_DATE_EPOCH (default 0) give the same digests (docs/images.md).
images: web ## build the OCI images of kurator-manager, kurator and kurator-agent into bin/images (no Docker; PUSH=REGISTRY/PREFIX pushes them)
	$(GO) run ./hack/images -root $(CURDIR) -out $(BIN)/images -bin-dir $(BIN)/linux_amd64 $(if $(PUSH),-push $(PUSH))

# The dashboard's frontend (web/, Vite + React) is built into web/dist, which
# the kurator binary embeds. npm ci runs only when the lockfile changed.
web: web/node_modules/.package-lock.json ## build the dashboard's web assets into web/dist
	cd web && npm run build

web/node_modules/.package-lock.json: web/package-lock.json web/package.json
	cd web && npm ci --no-audit --no-fund
	@touch $@

web-test: web/node_modules/.package-lock.json ## the frontend's unit tests (Vitest)
	cd web && npm test

k8s: ## build the pinned Kubernetes components once into the cache; link the pinned kubectl as bin/kubectl
	hack/k8s/build.sh $(K8S_BIN)
	mkdir -p $(BIN) && ln -sf $(K8S_BIN)/kubectl $(BIN)/kubectl

helm: ## build the pinned Helm 4 once into the cache (test/e2e/helm installs charts into the hub with it)
	hack/helm/build.sh $(HELM_BIN)

registry: ## build the pinned CNCF distribution registry once into the cache (image sync, AppHub, `kurator up --registries`)
	hack/registry/build.sh $(REGISTRY_BIN)

up: build k8s ## start the local fleet (hub + 3 members, Prometheus; apt-get installs prometheus when missing)
	@command -v prometheus >/dev/null 2>&1 || test -x /usr/bin/prometheus || { \
	  echo "make up: installing Prometheus (apt-get install prometheus); kurator up runs it next to the hub"; \
	  sudo=; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  $$sudo apt-get update -qq && $$sudo apt-get install -y --no-install-recommends prometheus; }
	$(BIN)/kurator up

down: build ## stop the local fleet and remove its state
	$(BIN)/kurator down

generate: ## regenerate deepcopy code and CRDs from api/, config/istio from the istio.io/api module, and the chart's copy of the CRDs
	$(GO) tool controller-gen object paths=./api/...
	$(GO) tool controller-gen crd:allowDangerousTypes=true paths=./api/... output:crd:artifacts:config=config/crd
	GO=$(GO) $(GO) run ./hack/istiocrds
	$(GO) run ./hack/chartcrds

verify: ## gofmt, vet and generated files up to date
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); echo "run gofmt -w"; exit 1)
	$(GO) vet ./...
	GO=$(GO) hack/verify-generated.sh

# The e2e packages each start a local fleet and judge timings in seconds
# (a member Ready=False 3 s after a kill, a workload moved within a 5 s
# toleration): they run two at a time (-p 2; test/e2e/fleettest also holds
# every fleet to one of KURATOR_E2E_FLEETS=2 machine-wide slots), in random
# order (-shuffle on; a failure prints the seed to repeat it), after the
# packages that need no fleet, which run with go test's default parallelism.
UNIT_PKGS = $$($(GO) list ./... | grep -v /test/e2e)
E2E_FLAGS ?= -count=1 -timeout 40m -p 2 -shuffle on

test: verify k8s helm registry build ## every test: unit (Go and the frontend's), e2e on real local fleets (the dashboard's in Chromium), then a short fuzz run
	$(GO) test -count=1 -timeout 20m $(UNIT_PKGS)
	$(MAKE) web-test
	$(GO) test $(E2E_FLAGS) ./test/e2e/...
	$(MAKE) fuzz

e2e: k8s helm registry web ## the end-to-end tests only (E2E_FLAGS='... -run NAME' for one)
	$(GO) test $(E2E_FLAGS) ./test/e2e/...

bench-e2e: k8s ## latency of the in-process controllers on local fleets, one package at a time: Work -> member, template -> Works
	$(GO) test -p 1 -run '^$$' -bench . -benchtime 20x ./test/e2e/execution ./test/e2e/placement

# Each fuzz target runs for FUZZTIME on top of its seed corpus (which plain
# `go test` already runs); CI keeps it short, run longer by hand.
FUZZTIME ?= 10s
FUZZ_TARGETS := ./pkg/plan:FuzzPlan ./pkg/overrides:FuzzOverrides ./pkg/overrides:FuzzParseImage ./pkg/overrides:FuzzFieldJSON ./pkg/scheduler:FuzzSchedule ./pkg/apphub:FuzzRenderManifests
fuzz: ## short coverage-guided fuzz run of every fuzz target
	@set -e; for t in $(FUZZ_TARGETS); do \
	  pkg=$${t%%:*}; name=$${t##*:}; echo "fuzz $$name ($$pkg, $(FUZZTIME))"; \
	  GO=$(GO) hack/fuzz.sh $$pkg $$name $(FUZZTIME); \
	done

unit: ## tests of the packages that need no local fleet
	$(GO) test -count=1 $(UNIT_PKGS)

bench: ## benchmarks with allocations
	$(GO) test -run '^$$' -bench . -benchmem ./pkg/...

bench-propagation: k8s ## propagation latency on a local fleet: 20 single, then 500 Deployments at once
	$(GO) run ./test/bench/propagation -single 20 -n 500

bench-failover: k8s ## failover timings on a local fleet: 5 runs of killing a member
	$(GO) run ./test/bench/failover -runs 5

bench-imagesync: registry ## image sync between two loopback registries: a 64 MiB image cold, warm (skipped) and resumed (half the layers present), 3 runs each
	$(GO) run ./test/bench/imagesync -runs 3 -size 64

bench-rollout: k8s ## rollout figures on a local fleet with Prometheus: one canary alone, then 100 at once
	$(GO) run ./test/bench/rollout -n 100

# 10,000 Deployments do not finish in the run's 14 minutes on 2 cores
# (docs/scale.md): SCALE_WORKLOADS=10000 runs the full size.
SCALE_WORKLOADS ?= 2000
bench-scale: k8s ## the hub at scale, simulated clusters (docs/scale.md): 1,000 joined, 2,000 Deployments (SCALE_WORKLOADS) under a policy mix, then 100 clusters failing with the failover pause off and on
	$(GO) run ./test/bench/scale -clusters 1000 -workloads $(SCALE_WORKLOADS) -fail 100
