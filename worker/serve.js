// The worker side of the protocol (docs/protocol.md), shared by the browser's worker
// (worker/worker.js) and Node's (node/worker.js): it checks each request's envelope, loads the
// engine on the first one and hands the request to it. Requests are { v: 2, id, op, args },
// replies { v: 2, id, ok: true, value } or { v: 2, id, ok: false, error: { code, message } },
// events { v: 2, event, name, detail }.

import { simdSupported } from '../web/simd.js';

/** The protocol version this worker speaks. */
export const PROTOCOL = 2;

/**
 * Answers requests: `listen(f)` calls `f` with each request, `post(message, transfer)` sends
 * a reply or an event, `load(build)` resolves to the initialised glue module of build
 * `'simd' | 'scalar'`; `forcedScalar` loads the scalar build whatever the engine supports.
 * @param {{ listen: (f: (msg: any) => void) => void, post: (m: any, transfer?: any[]) => void, load: (build: string) => Promise<any>, forcedScalar?: boolean }} host
 */
export function serve({ listen, post, load, forcedScalar = false }) {
  let engine = null; // Promise<{ rv, build }>

  function start(scalar) {
    engine ??= (async () => {
      const build = scalar || forcedScalar || !simdSupported() ? 'scalar' : 'simd';
      const rv = await load(build);
      rv.setEventSink((e) => post({ v: PROTOCOL, event: e.event, name: e.name, detail: e.detail }));
      return { rv, build };
    })();
    return engine;
  }

  // Everything but `hello` is the engine's: it validates, runs and answers (`insertMany`
  // reports progress under the request's id, which `abort` names).
  async function handle(id, op, args) {
    if (op === 'hello') {
      const { rv, build } = await start(args?.scalar === true);
      return { protocol: PROTOCOL, version: rv.version(), build, simd: rv.simd128(), simdSupported: simdSupported() };
    }
    // `open` with `options.simd === false` forces the scalar build, like ?simd=0.
    const { rv } = await start(op === 'open' && args.options?.simd === false);
    return rv.call(op, args, id);
  }

  listen(async (msg) => {
    const id = msg && typeof msg === 'object' && (typeof msg.id === 'number' || typeof msg.id === 'string') ? msg.id : null;
    const reply = (body, transfer) => post({ v: PROTOCOL, id, ...body }, transfer || []);
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
  });
}
