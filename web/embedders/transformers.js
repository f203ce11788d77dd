// An embedder for ruvector-web on transformers.js: feature extraction, mean pooling,
// L2-normalised vectors (sentence-transformers' recipe; all-MiniLM-L6-v2 gives 384
// dimensions). Loaded only when used: the core package never imports it.
//
// In the worker (the model never blocks the page), as a module URL whose query configures it:
//
//   const url = new URL('ruvector-web/embedders/transformers.js', import.meta.url); // or a path
//   url.search = new URLSearchParams({ model: 'Xenova/all-MiniLM-L6-v2' });
//   await open('notes', { dimensions: 384, text: true, embedder: url });
//
// On the page: `await transformersEmbedder({ model })` is an embedder object for `open`.
//
// Options (query parameters in the worker): `model` (required), `dtype` ('q8'),
// `transformers` (the URL of transformers.js to import; default the bare specifier
// '@huggingface/transformers', for bundlers), `localModelPath` (serve the model yourself; remote
// models are then off), `wasmPaths` (where onnxruntime-web's files are: a URL prefix, or, as a
// query parameter, JSON such as {"mjs": url, "wasm": url}), `name`.

/**
 * An embedder object for `open(name, { embedder })`: the model is loaded and run once (which
 * also gives its dimension) before this resolves.
 * @param {{ model: string, dtype?: string, transformers?: string, localModelPath?: string, wasmPaths?: string | { mjs: string, wasm: string }, name?: string }} options
 * @returns {Promise<{ name: string, dimensions: number, embed: (texts: string[]) => Promise<Float32Array[]> }>}
 */
export async function transformersEmbedder(options) {
  const { model, dtype = 'q8', transformers = '@huggingface/transformers', localModelPath, wasmPaths } = options ?? {};
  if (typeof model !== 'string' || !model) throw new Error('transformersEmbedder: `model` is required');
  const { pipeline, env } = await import(/* @vite-ignore */ transformers);
  if (localModelPath) {
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = localModelPath;
    env.useBrowserCache = false;
  }
  if (wasmPaths) env.backends.onnx.wasm.wasmPaths = wasmPaths;
  env.backends.onnx.wasm.numThreads = 1;
  const extractor = await pipeline('feature-extraction', model, { dtype, device: 'wasm' });
  /** @param {string[]} texts */
  const embed = async (texts) => {
    if (texts.length === 0) return [];
    const t = await extractor(texts, { pooling: 'mean', normalize: true });
    const [n, dim] = t.dims;
    const data = /** @type {Float32Array} */ (t.data);
    return Array.from({ length: n }, (_, i) => data.slice(i * dim, (i + 1) * dim));
  };
  const [probe] = await embed(['dimension probe']);
  return { name: options.name ?? `transformers:${model}`, dimensions: probe.length, embed };
}

/** A `wasmPaths` query parameter: a prefix, or JSON of onnxruntime-web's file URLs. */
function wasmPathsOf(p) {
  return p?.startsWith('{') ? JSON.parse(p) : p ?? undefined;
}

// Loaded by URL with a `model` parameter (the worker's way): the module is the embedder.
const params = new URL(import.meta.url).searchParams;
const loaded = params.has('model')
  ? await transformersEmbedder({
      model: params.get('model') ?? '',
      dtype: params.get('dtype') ?? undefined,
      transformers: params.get('transformers') ?? undefined,
      localModelPath: params.get('localModelPath') ?? undefined,
      wasmPaths: wasmPathsOf(params.get('wasmPaths')),
      name: params.get('name') ?? undefined,
    })
  : null;

/** The embedder's name (with a `model` parameter). */
export const name = loaded?.name;
/** Its dimension (with a `model` parameter). */
export const dimensions = loaded?.dimensions;
/**
 * The vectors of `texts` (with a `model` parameter).
 * @param {string[]} texts
 */
export function embed(texts) {
  if (!loaded) throw new Error('load this module with a `model` query parameter, or call transformersEmbedder()');
  return loaded.embed(texts);
}
