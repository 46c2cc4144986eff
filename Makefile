# smitop — `make demo` and `make test` do all the set-up a fresh Debian machine needs.
SHELL := /bin/bash
SWIFT ?= swift
PREFIX ?= /usr/local
BIN := .build/debug/smitop
RELEASE_BIN := .build/release/smitop
PY_DEPS := .build/.python-deps

.PHONY: all deps build release test lint format soak demo demo-prometheus sim bench fuzz install install-files clean

all: build

# System packages: ncursesw and libcurl (OpenSSL build) headers, tmux for the UI tests, and
# Debian's kubectl 1.20 in .build/kubectl (the kubectl tests run the image's kubectl and this
# one; the package conflicts with the image's kubectl package, so it is only unpacked, never
# installed over it; where there is no other kubectl, the tests use this one alone).
deps:
	@missing=""; \
	dpkg -s libncursesw5-dev >/dev/null 2>&1 || missing="$$missing libncursesw5-dev"; \
	dpkg -s libcurl4-openssl-dev >/dev/null 2>&1 || missing="$$missing libcurl4-openssl-dev"; \
	command -v tmux >/dev/null 2>&1 || missing="$$missing tmux"; \
	command -v pkg-config >/dev/null 2>&1 || missing="$$missing pkg-config"; \
	command -v openssl >/dev/null 2>&1 || missing="$$missing openssl"; \
	command -v pgrep >/dev/null 2>&1 || missing="$$missing procps"; \
	if [ -n "$$missing" ]; then \
	  echo "==> installing:$$missing"; \
	  apt-get update -qq && apt-get install -y -qq $$missing >/dev/null; \
	fi
	@# A real Prometheus for the metrics-source tests; its recommends (node exporter, SMART
	@# tools) are not needed. Tests start their own server: the Debian service is not used.
	@if ! command -v prometheus >/dev/null 2>&1; then \
	  echo "==> installing: prometheus"; \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends prometheus >/dev/null; \
	fi
	@if [ ! -x .build/kubectl/usr/bin/kubectl ]; then \
	  echo "==> unpacking Debian's kubernetes-client (kubectl 1.20) into .build/kubectl: the kubectl tests run with it too"; \
	  mkdir -p .build/kubectl && cd .build/kubectl && { apt-get download kubernetes-client >/dev/null 2>&1 || { apt-get update -qq && apt-get download kubernetes-client; }; } && dpkg-deb -x kubernetes-client_*.deb . \
	  || { command -v kubectl >/dev/null 2>&1 && echo "==> (not available: the tests use the image's kubectl alone)"; }; \
	fi

$(PY_DEPS):
	@python3 -c "import kubernetes" 2>/dev/null || { echo "==> installing the Python kubernetes client (pip)"; python3 -m pip install -q kubernetes; }
	@mkdir -p .build && touch $@

build: deps
	@echo "==> building smitop (a first build compiles two BoringSSL copies: several minutes)"
	$(SWIFT) build

# The shipped binary and the benchmark tool only: the test-support target imports the simulator
# with @testable, which a release build refuses (swift build -c release of everything fails).
release: deps
	$(SWIFT) build -c release --product smitop
	$(SWIFT) build -c release --product smitop-bench

# swift-format (it ships with the toolchain) with the committed .swift-format; `make test`
# fails on any finding, and on a module graph in docs/architecture.md that no longer matches
# Package.swift or that has an arrow pointing back up.
FORMAT_PATHS := Package.swift Sources Tests
lint:
	$(SWIFT) format lint --strict --parallel -r $(FORMAT_PATHS)
	python3 scripts/module-graph.py --check

format:
	$(SWIFT) format format --in-place --parallel -r $(FORMAT_PATHS)

# Every test: unit and integration tests (XCTest/Swift Testing, real simulator over real
# HTTP(S), real kubectl, the Python client, tmux end-to-end), then a soak of the TUI for
# SOAK_TEST_MINUTES (3) that fails on a leak: its heap in use, descriptors or threads growing
# after warm-up (scripts/soak.py). On 200 services, so that its state is full within the
# warm-up: at a 1 s refresh the sparkline histories fill in a minute, and every edge is
# polled each time (the poll asks 200 deployments' edges at most; on 5,000 services an edge's
# history takes 50 minutes to fill, which a 3-minute run would take for a leak). After the
# tests, not beside them: on two cores a soak beside the tmux tests slows their screens.
SOAK_TEST_MINUTES ?= 3
test: deps $(PY_DEPS) lint
	@echo "==> building smitop and its tests (a first build takes several minutes)"
	$(SWIFT) build --build-tests
	SMITOP_BIN=$(CURDIR)/$(BIN) $(SWIFT) test --skip-build
	@echo "==> a $(SOAK_TEST_MINUTES)-minute soak of the TUI, failing on a leak (make soak runs a long one)"
	python3 scripts/soak.py --bin $(BIN) --minutes $(SOAK_TEST_MINUTES) --services 200 --splits 400 --refresh 1 --sample-seconds 5 --check

# The soak alone, for SOAK_MINUTES (default 60), with its table and chart in soak-report.md.
SOAK_MINUTES ?= 60
soak: build $(PY_DEPS)
	python3 scripts/soak.py --bin $(BIN) --minutes $(SOAK_MINUTES) --check --report soak-report.md

# Benchmarks against kubectl and curl in the same run; writes docs/benchmarks.md (about 10
# minutes; BENCH_FLAGS=--quick for a shorter, noisier run).
bench: release $(PY_DEPS)
	python3 scripts/bench.py --bin $(RELEASE_BIN) $(BENCH_FLAGS)

# A long fuzzing campaign over every parser (make test runs a short fixed one). FUZZ_ITERATIONS
# inputs per target; a new seed each run unless FUZZ_SEED is set; exit 1 on a property violation,
# a crash kills the run (replay it with the printed seed).
FUZZ_ITERATIONS ?= 200000
FUZZ_SEED ?= $(shell date +%s)
fuzz: build
	@echo "==> fuzzing with seed $(FUZZ_SEED), $(FUZZ_ITERATIONS) inputs per target"
	.build/debug/smitop-fuzz --iterations $(FUZZ_ITERATIONS) --seed $(FUZZ_SEED) --corpus Tests/Fixtures/smi --corpus Tests/Fixtures/fuzz --corpus themes

sim: build
	$(BIN) sim --write-kubeconfig $(HOME)/.kube/smitop-sim.yaml

# The UI on an embedded simulated mesh (bookstore scenario); q quits.
demo: build
	$(BIN) demo

# The same mesh with its metrics from a real Prometheus scraping the simulated proxies
# (docs/metrics.md); q quits and stops the simulator and Prometheus.
demo-prometheus: build
	scripts/demo-prometheus.sh $(BIN)

# PREFIX/bin (binary and the kubectl-smitop plugin link), PREFIX/share/smitop/themes (found by
# the installed binary), a man page generated from the command definitions, and bash, zsh and
# fish completions. `install-files` installs an already built INSTALL_BIN (the tests use it).
INSTALL_BIN ?= $(RELEASE_BIN)
install: release install-files

install-files:
	install -d $(PREFIX)/bin $(PREFIX)/share/smitop/themes $(PREFIX)/share/man/man1 \
	  $(PREFIX)/share/bash-completion/completions $(PREFIX)/share/zsh/site-functions $(PREFIX)/share/fish/vendor_completions.d
	install -m 0755 $(INSTALL_BIN) $(PREFIX)/bin/smitop
	ln -sf smitop $(PREFIX)/bin/kubectl-smitop
	install -m 0644 themes/*.yaml $(PREFIX)/share/smitop/themes/
	$(INSTALL_BIN) --experimental-dump-help | python3 scripts/gen-man.py "$$($(INSTALL_BIN) --version | head -1 | cut -d' ' -f2)" > $(PREFIX)/share/man/man1/smitop.1
	$(INSTALL_BIN) --generate-completion-script bash > $(PREFIX)/share/bash-completion/completions/smitop
	$(INSTALL_BIN) --generate-completion-script zsh > $(PREFIX)/share/zsh/site-functions/_smitop
	$(INSTALL_BIN) --generate-completion-script fish > $(PREFIX)/share/fish/vendor_completions.d/smitop.fish
	@echo "==> installed smitop in $(PREFIX)/bin (also as the kubectl plugin: kubectl smitop)"

clean:
	$(SWIFT) package clean
