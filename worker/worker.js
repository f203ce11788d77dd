// ruvector-web worker: the engine (WebAssembly) in a dedicated module worker, one per
// database name. Start it with
//   new Worker(new URL('ruvector-web/worker', import.meta.url), { type: 'module' })
// and speak the protocol in docs/protocol.md: requests { v: 1, id, op, args }, replies
// { v: 1, id, ok: true, value } or { v: 1, id, ok: false, error: { code, message } },
// events { v: 1, event, name, detail }.

export const PROTOCOL = 1;

// A module whose only function returns `v128.const 0`: it validates only where the browser
// supports WebAssembly SIMD128.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11,
]);

/** True when this browser validates SIMD128 code. */
export function simdSupported() {
  try {
    return WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

// Literal specifiers, so that bundlers emit both builds (and their .wasm) and load one.
const BUILDS = {
  simd: () => import('../web/pkg/simd/ruvector.js'),
  scalar: () => import('../web/pkg/scalar/ruvector.js'),
};

// Each build's .wasm, fetched and compiled while its glue module loads (the glue would only
// start fetching it once loaded and asked to initialise).
const WASM = {
  simd: () => new URL('../web/pkg/simd/ruvector_bg.wasm', import.meta.url),
  scalar: () => new URL('../web/pkg/scalar/ruvector_bg.wasm', import.meta.url),
};

/** The compiled module of `build`, or its URL when streaming compilation is not possible. */
function compile(build) {
  const url = WASM[build]();
  if (typeof WebAssembly.compileStreaming !== 'function') return Promise.resolve(url);
  // A server that sends the wrong MIME type fails here; the glue then fetches the URL itself.
  return WebAssembly.compileStreaming(fetch(url)).catch(() => url);
}

const forcedScalar = new URL(self.location.href).searchParams.get('simd') === '0';
let engine = null; // { rv, build }
const aborted = new Set(); // request ids whose insertMany should stop between chunks

async function load(scalar) {
  if (engine) return engine;
  const build = scalar || forcedScalar || !simdSupported() ? 'scalar' : 'simd';
  const compiled = compile(build);
  const rv = await BUILDS[build]();
  await rv.default({ module_or_path: await compiled });
  rv.setEventSink((e) => self.postMessage({ v: PROTOCOL, event: e.event, name: e.name, detail: e.detail }));
  engine = { rv, build };
  return engine;
}

function fail(code, message) {
  return Object.assign(new Error(message), { code });
}

// Bulk insert in atomic chunks: each chunk is one insertPacked (one transaction, or shared
// with others by group commit); progress after each acknowledged chunk; an abort stops
// between chunks and the reply says how many were committed.
async function insertMany(rv, id, args) {
  const { name, vectors, ids, metadata, chunk = 1000 } = args;
  if (!(vectors instanceof Float32Array)) throw fail('BAD_ARGUMENT', 'vectors: expected a Float32Array of n·dim values');
  if (!Number.isInteger(chunk) || chunk < 1) throw fail('BAD_ARGUMENT', 'chunk: expected a positive integer');
  const stats = await rv.call('stats', { name });
  const dim = stats.dimensions;
  if (vectors.length % dim !== 0) {
    throw fail('DIMENSION_MISMATCH', `${vectors.length} values is not a whole number of ${dim}-dimensional vectors`);
  }
  const total = vectors.length / dim;
  for (const [field, list] of [['ids', ids], ['metadata', metadata]]) {
    if (list != null && (!Array.isArray(list) || list.length !== total)) {
      throw fail('BAD_ARGUMENT', `${field}: expected an array of ${total} entries`);
    }
  }
  const out = [];
  for (let start = 0; start < total; start += chunk) {
    if (aborted.has(id)) break;
    const end = Math.min(total, start + chunk);
    const got = await rv.call('insertPacked', {
      name,
      vectors: vectors.subarray(start * dim, end * dim),
      ids: ids ? ids.slice(start, end) : undefined,
      metadata: metadata ? metadata.slice(start, end) : undefined,
    });
    out.push(...got);
    self.postMessage({ v: PROTOCOL, event: 'progress', name, detail: { requestId: id, committed: end, total } });
  }
  aborted.delete(id);
  return { ids: out, committed: out.length, total, aborted: out.length < total };
}

async function handle(id, op, args) {
  if (op === 'hello') {
    const { rv, build } = await load(args?.scalar === true);
    return { protocol: PROTOCOL, version: rv.version(), build, simd: rv.simd128(), simdSupported: simdSupported() };
  }
  if (op === 'abort') {
    aborted.add(args?.requestId);
    return true;
  }
  // `open` with `options.simd === false` forces the scalar build, like ?simd=0.
  const { rv } = await load(op === 'open' && args.options?.simd === false);
  if (op === 'insertMany') return insertMany(rv, id, args);
  return rv.call(op, args);
}

self.onmessage = async (e) => {
  const msg = e.data;
  const id = msg && typeof msg === 'object' && (typeof msg.id === 'number' || typeof msg.id === 'string') ? msg.id : null;
  const reply = (body, transfer) => self.postMessage({ v: PROTOCOL, id, ...body }, transfer || []);
  if (id === null) {
    return reply({ ok: false, error: { code: 'BAD_MESSAGE', message: 'a request is { v: 1, id, op, args } with a number or string id' } });
  }
  if (msg.v !== undefined && msg.v !== PROTOCOL) {
    return reply({ ok: false, error: { code: 'PROTOCOL_VERSION', message: `this worker speaks protocol ${PROTOCOL}, not ${msg.v}` } });
  }
  if (typeof msg.op !== 'string') {
    return reply({ ok: false, error: { code: 'BAD_MESSAGE', message: 'op must be a string' } });
  }
  if (msg.args !== undefined && (msg.args === null || typeof msg.args !== 'object')) {
    return reply({ ok: false, error: { code: 'BAD_ARGUMENT', message: 'args must be an object' } });
  }
  try {
    const value = await handle(id, msg.op, msg.args ?? {});
    // An export's bytes are moved, not copied.
    reply({ ok: true, value }, value instanceof Uint8Array ? [value.buffer] : []);
  } catch (err) {
    const code = typeof err?.code === 'string' ? err.code : 'INTERNAL';
    const message = typeof err?.message === 'string' ? err.message : String(err);
    reply({ ok: false, error: { code, message } });
  }
};
