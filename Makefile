# ruvector-web. `make test` installs what it needs, then runs every test.
# Never set RUSTFLAGS here: it replaces the wasm32 flags in .cargo/config.toml and
# silently drops SIMD128. Use CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS to add flags.
.PHONY: test deps test-native test-wasm lint bench fmt

CARGO ?= cargo
WASM := --target wasm32-unknown-unknown

test: deps lint test-wasm test-native
	@echo "make test: all suites passed"

deps:
	@scripts/install-deps.sh

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --features ruvector-core/native -- -D warnings
	$(CARGO) clippy -p ruvector-core --all-targets $(WASM) -- -D warnings

test-wasm:
	$(CARGO) test -p ruvector-core --profile ci $(WASM) --test wasm

# Last, so the final test-runner line CI reads is a real test run. The parity test runs
# in the optimised `ci` profile (hnsw_rs is ~20x slower unoptimised).
test-native:
	$(CARGO) test -p ruvector-core --features native --profile ci --doc
	$(CARGO) test -p ruvector-core --features native --profile ci --lib --tests

bench:
	$(CARGO) bench -p ruvector-benches
	$(CARGO) run -p ruvector-benches --release --bin report

fmt:
	$(CARGO) fmt --all
