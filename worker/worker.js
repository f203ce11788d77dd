// ruvector-web worker: the engine (WebAssembly) in a dedicated module worker, one per
// database name. Start it with
//   new Worker(new URL('ruvector-web/worker', import.meta.url), { type: 'module' })
// and speak the protocol in docs/protocol.md (worker/serve.js answers it).

import { simdSupported } from '../web/simd.js';
import { serve, PROTOCOL } from './serve.js';

export { PROTOCOL, simdSupported };

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

serve({
  listen: (f) => {
    self.onmessage = (e) => f(e.data);
  },
  // A dedicated worker's postMessage(message, transfer), not a window's.
  post: (m, transfer) => /** @type {any} */ (self).postMessage(m, transfer || []),
  forcedScalar: new URL(self.location.href).searchParams.get('simd') === '0',
  async load(build) {
    const compiled = compile(build);
    const rv = await BUILDS[build]();
    await rv.default({ module_or_path: await compiled });
    return rv;
  },
});
