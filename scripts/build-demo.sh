#!/usr/bin/env bash
# Puts the demo's third-party runtime in demo/vendor/ (gitignored), from npm packages pinned in
# package-lock.json: transformers.js and the onnxruntime-web build it depends on (its wasm is
# 27 MB, so it is copied at build time, not committed). The model and the data slice are
# committed under demo/models and demo/data.
set -euo pipefail
cd "$(dirname "$0")/.."
T=node_modules/@huggingface/transformers/dist/transformers.min.js
ORT=node_modules/onnxruntime-web/dist
for f in "$T" "$ORT/ort-wasm-simd-threaded.asyncify.mjs" "$ORT/ort-wasm-simd-threaded.asyncify.wasm"; do
  [ -f "$f" ] || { echo "build-demo: $f is missing: run scripts/install-deps.sh (make test or make demo do)" >&2; exit 1; }
done
mkdir -p demo/vendor/ort
cp "$T" demo/vendor/
cp "$ORT/ort-wasm-simd-threaded.asyncify.mjs" "$ORT/ort-wasm-simd-threaded.asyncify.wasm" demo/vendor/ort/
echo "build-demo: demo/vendor ready (transformers.js $(node -p "require('./node_modules/@huggingface/transformers/package.json').version"), onnxruntime-web $(node -p "require('./$ORT/../package.json').version"))"
