// ruvector-web worker: the engine (WebAssembly) in a dedicated module worker, one per
// database name. Start it with
//   new Worker(new URL('ruvector-web/worker', import.meta.url), { type: 'module' })
// and speak the protocol in docs/protocol.md: requests { v: 2, id, op, args }, replies
// { v: 2, id, ok: true, value } or { v: 2, id, ok: false, error: { code, message } },
// events { v: 2, event, name, detail }.

import { simdSupported } from '../web/simd.js';

export const PROTOCOL = 2;

export { simdSupported };

// Literal specifiers, so that bundlers emit both builds (and their .wasm) and load one.
const BUILDS = {
  // @ts-ignore: web/pkg is made by scripts/build-web.sh (typed by its generated .d.ts)
  simd: () => import('../web/pkg/simd/ruvector.js'),
  // @ts-ignore: as above
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

// Everything but `hello` is the engine's: it validates, runs and answers (`insertMany`
// reports progress under the request's id, which `abort` names).
async function handle(id, op, args) {
  if (op === 'hello') {
    const { rv, build } = await load(args?.scalar === true);
    return { protocol: PROTOCOL, version: rv.version(), build, simd: rv.simd128(), simdSupported: simdSupported() };
  }
  // `open` with `options.simd === false` forces the scalar build, like ?simd=0.
  const { rv } = await load(op === 'open' && args.options?.simd === false);
  return rv.call(op, args, id);
}

self.onmessage = async (e) => {
  const msg = e.data;
  const id = msg && typeof msg === 'object' && (typeof msg.id === 'number' || typeof msg.id === 'string') ? msg.id : null;
  const reply = (body, transfer) => self.postMessage({ v: PROTOCOL, id, ...body }, transfer || []);
  if (id === null) {
    return reply({ ok: false, error: { code: 'BAD_MESSAGE', message: `a request is { v: ${PROTOCOL}, id, op, args } with a number or string id` } });
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
