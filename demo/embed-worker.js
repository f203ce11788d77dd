// Embeds text with all-MiniLM-L6-v2 (int8 ONNX) through transformers.js, offline: the model
// comes from ./models/, onnxruntime-web's wasm from ./vendor/ort/, nothing from the network.
// Requests { id, text }; replies { id, vector: Float32Array (384, unit length), ms } or
// { id, error }. Posts { ready: true, ms } once the model is loaded and warmed up.
import { env, pipeline } from './vendor/transformers.min.js';

env.allowRemoteModels = false;
env.allowLocalModels = true;
env.localModelPath = new URL('./models/', import.meta.url).pathname; // a path, not a full URL
env.useBrowserCache = false;
env.backends.onnx.wasm.numThreads = 1;
env.backends.onnx.wasm.wasmPaths = {
  mjs: new URL('./vendor/ort/ort-wasm-simd-threaded.asyncify.mjs', import.meta.url).href,
  wasm: new URL('./vendor/ort/ort-wasm-simd-threaded.asyncify.wasm', import.meta.url).href,
};

const t0 = performance.now();
const ready = pipeline('feature-extraction', 'all-minilm-l6-v2', { dtype: 'q8', device: 'wasm' });

async function embed(text) {
  const extractor = await ready;
  const t = await extractor([text], { pooling: 'mean', normalize: true });
  return new Float32Array(t.data);
}

ready
  .then(() => embed('warm up'))
  .then(() => self.postMessage({ ready: true, ms: performance.now() - t0 }))
  .catch((e) => self.postMessage({ ready: false, error: String(e?.message ?? e) }));

self.onmessage = async ({ data: { id, text } }) => {
  try {
    const t = performance.now();
    const vector = await embed(String(text));
    self.postMessage({ id, vector, ms: performance.now() - t }, [vector.buffer]);
  } catch (e) {
    self.postMessage({ id, error: String(e?.message ?? e) });
  }
};
