# ruvector-web. `make test` installs what it needs, then runs every test.
# Never set RUSTFLAGS here: it replaces the wasm32 flags in .cargo/config.toml and
# silently drops SIMD128. Use CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS to add flags.
.PHONY: test deps test-native test-wasm test-browser test-node test-interop-python build-web build-demo demo lint bench fmt

CARGO ?= cargo
WASM := --target wasm32-unknown-unknown
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
# Every test runner's output is also appended here; `make test` ends with the totals.
TEST_LOG := target/test-output.log

test: deps lint
	@mkdir -p target && : > $(TEST_LOG)
	@$(MAKE) --no-print-directory test-wasm build-web build-demo test-browser test-node test-native
	@awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($$(i+1) ~ /^passed/) p += $$i; if ($$(i+1) ~ /^failed/) f += $$i } } \
	     /^# pass [0-9]+$$/ { p += $$3 } /^# fail [0-9]+$$/ { f += $$3 } \
	     END { printf "make test: all suites passed\ntests: %d passed, %d failed\n", p, f; if (p == 0 || f > 0) exit 1 }' $(TEST_LOG)

deps:
	@scripts/install-deps.sh

lint:
	$(CARGO) fmt --all -- --check
	node --test scripts/
	node scripts/check-cycles.mjs crates/ruvector-core crates/ruvector-wasm
	RUSTDOCFLAGS='-D warnings' $(CARGO) doc --no-deps -p ruvector-core -p ruvector-testkit --features ruvector-core/native
	RUSTDOCFLAGS='-D warnings' $(CARGO) doc --no-deps -p ruvector-core -p ruvector-wasm $(WASM)
	node_modules/.bin/tsc -p jsconfig.json
	$(CARGO) clippy --workspace --all-targets --features ruvector-core/native -- -D warnings
	$(CARGO) clippy -p ruvector-core -p ruvector-wasm --all-targets $(WASM) -- -D warnings

# The core under node; the wasm crate in headless Chromium, inside a dedicated worker (its
# tests split by risk: durability, bad input, the page cache, conversions, background work).
WASM_TESTS := --test durability --test bad_input --test page_cache --test conversions --test background --test text
test-wasm:
	$(CARGO) test -p ruvector-core --profile ci $(WASM) --test wasm 2>&1 | tee -a $(TEST_LOG)
	$(CARGO) test -p ruvector-wasm --profile ci $(WASM) $(WASM_TESTS) 2>&1 | tee -a $(TEST_LOG)

# The two browser builds into web/pkg/{simd,scalar} (fails without f32x4 in the SIMD one).
build-web:
	scripts/build-web.sh

# The demo's third-party runtime (transformers.js, onnxruntime-web) from npm into demo/vendor/.
build-demo:
	scripts/build-demo.sh

# Builds everything and serves the demo on 127.0.0.1 (PORT=8787 by default; Ctrl-C stops it).
PORT ?= 8787
demo: deps build-web build-demo
	node playwright/server.mjs $(PORT)

# Every Playwright suite in headless Chromium (worker protocol, facade, element, package,
# demo), then the worker and facade suites again against the scalar build; the worker suite
# also writes the browser half of the parity test into target/parity/<build>/.
test-browser:
	node --test playwright/ 2>&1 | tee -a $(TEST_LOG)
	RUVECTOR_BUILD=scalar node --test playwright/worker.test.mjs playwright/facade.test.mjs 2>&1 | tee -a $(TEST_LOG)

# The Node entry (a worker thread, files, LOCKED, killed writers, full and read-only disks), the
# LangChain.js and LlamaIndex.TS stores against the real packages, the packed tarball in a Node
# script and a Vite app, and the facade's browser suite run against Node (the engine in a worker
# thread, then in the calling thread).
test-node:
	node --test test-node/ 2>&1 | tee -a $(TEST_LOG)
	RUVECTOR_PLATFORM=node node --test playwright/facade.test.mjs 2>&1 | tee -a $(TEST_LOG)
	RUVECTOR_PLATFORM=node-main node --test playwright/facade.test.mjs 2>&1 | tee -a $(TEST_LOG)

# Outside `make test`: ruvector-web's records loaded into Qdrant (qdrant-client's local mode is
# Python) answer as the flat index does, and Qdrant's points import back unchanged
# (docs/outgrowing.md). Installs qdrant-client into target/py.
QDRANT_CLIENT ?= 1.20.0
test-interop-python: build-web
	python3 -m venv target/py
	target/py/bin/pip install -q qdrant-client==$(QDRANT_CLIENT)
	node scripts/qdrant-interop.mjs prepare target/interop
	target/py/bin/python scripts/qdrant_interop.py target/interop
	node scripts/qdrant-interop.mjs check target/interop

# Last, so the final test-runner line CI reads is a real test run. The parity test runs
# in the optimised `ci` profile (hnsw_rs is ~20x slower unoptimised).
test-native:
	$(CARGO) test -p ruvector-core --features native --profile ci --doc 2>&1 | tee -a $(TEST_LOG)
	$(CARGO) test -p ruvector-wasm --profile ci --lib 2>&1 | tee -a $(TEST_LOG)
	$(CARGO) test -p ruvector-core --features native --profile ci --lib --tests 2>&1 | tee -a $(TEST_LOG)

bench: deps build-web build-demo
	$(CARGO) bench -p ruvector-benches
	node playwright/bench.mjs
	node playwright/text-bench.mjs
	node playwright/churn-bench.mjs
	node test-node/node-bench.mjs
	$(CARGO) run -p ruvector-benches --release --bin report -- --fold-criterion

fmt:
	$(CARGO) fmt --all
