# fargatekit — see README.md.
#
#   make demo    run the walkthrough against the local environment
#   make test    run every test (builds the test tools first)
#   make tools   build kube-apiserver and etcd for the test environment
#   make short   run the tests that need no external process

SHELL := /bin/bash
GO ?= go
K8S_VERSION := v1.37.2
# Where envtest looks for its binaries (see envtest.BinDir).
ENVTEST_BIN ?= $(or $(FARGATEKIT_ENVTEST_BIN),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/fargatekit/envtest-$(K8S_VERSION))
export FARGATEKIT_ENVTEST_BIN := $(ENVTEST_BIN)
TEST_TIMEOUT ?= 30m

.PHONY: demo test tools short vet fmt-check bench check-env

demo: tools check-env
	@$(GO) run ./examples/demo

test: tools check-env
	$(GO) test -timeout $(TEST_TIMEOUT) ./...

short:
	$(GO) test -short ./...

tools: $(ENVTEST_BIN)/kube-apiserver $(ENVTEST_BIN)/fk-etcd

$(ENVTEST_BIN)/kube-apiserver:
	@mkdir -p $(ENVTEST_BIN)
	@echo "==> building kube-apiserver $(K8S_VERSION) into $(ENVTEST_BIN) (first time only: about 7 minutes on 2 cores; cached afterwards)"
	@cd tools/envtools && time ( $(GO) build -v -o $(ENVTEST_BIN)/kube-apiserver.tmp k8s.io/kubernetes/cmd/kube-apiserver 2>&1 | \
		awk 'BEGIN { n = 0 } /^#|\.go:[0-9]+:/ { print; next } { n++; if (n % 100 == 0) printf("    ... %d packages compiled\n", n) }'; \
		test $${PIPESTATUS[0]} -eq 0 )
	@mv $(ENVTEST_BIN)/kube-apiserver.tmp $@

$(ENVTEST_BIN)/fk-etcd:
	@mkdir -p $(ENVTEST_BIN)
	@echo "==> building embedded etcd into $(ENVTEST_BIN) (first time only: about 1 minute)"
	@cd tools/envtools && $(GO) build -o $(ENVTEST_BIN)/fk-etcd.tmp ./cmd/fk-etcd
	@mv $(ENVTEST_BIN)/fk-etcd.tmp $@

check-env:
	@command -v moto_server >/dev/null || { echo 'moto_server is missing: pip install "moto[server]==5.2.1"' >&2; exit 1; }

vet:
	$(GO) vet ./...
	cd tools/envtools && $(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

bench: tools check-env
	$(GO) test -run '^$$' -bench . -benchmem ./...
