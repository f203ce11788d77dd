#!/usr/bin/env bash
# Installs what `make test` needs on a fresh machine; each step is skipped when already
# satisfied. Never exports RUSTFLAGS (it would silently drop +simd128 from the wasm32 build).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  echo "install: rustup target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# wasm-bindgen-cli must equal the wasm-bindgen crate in Cargo.lock exactly.
WB=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/"/,"",$3); print $3}' Cargo.lock)
if [ -z "$WB" ]; then
  echo "install: could not read the wasm-bindgen version from Cargo.lock" >&2
  exit 1
fi
if [ "$(wasm-bindgen --version 2>/dev/null | cut -d' ' -f2)" != "$WB" ]; then
  echo "install: wasm-bindgen-cli $WB (a few minutes on a fresh machine)"
  # --locked can fail on this registry mirror (a lagging transitive crate); fall back.
  cargo install --locked wasm-bindgen-cli --version "$WB" || cargo install wasm-bindgen-cli --version "$WB"
fi
# Debian's Chromium and ChromeDriver for the browser tests (no browser download).
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  echo "install: Debian chromium and chromium-driver"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium chromium-driver >/dev/null
fi
# npm packages from the lockfile: binaryen (wasm-opt), playwright-core, typescript and vite
# (package tests), @huggingface/transformers (the demo's in-browser embedding). No install
# scripts run: onnxruntime-node's would fetch CUDA files from outside npm, and nothing here
# needs one.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "install: npm ci"
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error --ignore-scripts
fi
echo "install: ok (wasm32 target, wasm-bindgen-cli $WB, $(chromium --version 2>/dev/null | head -1))"
