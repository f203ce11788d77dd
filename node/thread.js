// The engine in the calling thread (`open(name, { thread: 'main' })`): no worker, so no thread
// to wake for each call, but the engine's work runs on this thread (a bulk insert holds it for a
// chunk at a time). It speaks the same protocol (worker/serve.js) through a stand-in for a
// worker: requests are structured-cloned (moving what a worker would be handed), and replies come
// back in a later microtask, as they would from a worker.

import { readFileSync } from 'node:fs';
import { serve } from '../worker/serve.js';
import { RecordHost } from './files.js';

/** Each build's compiled module, compiled once per process. */
const compiled = new Map();
/** Engine instances whose databases are all closed, ready for the next open: key build + path. */
const idle = new Map();
let made = 0;

/**
 * An engine instance of `build` keeping its records under `path`: a pooled one, or a new one.
 * Each is the glue module imported under a URL of its own, so that it has its own wasm memory,
 * record host and open databases, as a worker would.
 */
async function instance(build, path) {
  const pool = idle.get(`${build}\0${path}`);
  if (pool?.length) return pool.pop();
  if (!compiled.has(build)) {
    compiled.set(build, WebAssembly.compile(readFileSync(new URL(`../web/pkg/${build}/ruvector_bg.wasm`, import.meta.url))));
  }
  const rv = await import(new URL(`../web/pkg/${build}/ruvector.js?instance=${++made}`, import.meta.url).href);
  await rv.default({ module_or_path: await compiled.get(build) });
  rv.setRecordHost(new RecordHost(path));
  return rv;
}

/**
 * A worker stand-in serving database `name` (null: a utility) under `path` in this thread;
 * `release` gives its lock back once it ends.
 */
export function inThread(name, path, release) {
  let handler = null;
  let ended = false;
  let loaded = null; // { rv, build }
  const a = {
    onmessage: null,
    onerror: null,
    onmessageerror: null,
    postMessage(m, transfer = []) {
      if (ended) return;
      const msg = structuredClone(m, { transfer });
      queueMicrotask(() => handler?.(msg));
    },
    terminate() {
      if (ended) return;
      ended = true;
      // The facade ends a worker after its `close` was answered: nothing of this name is
      // written any more, so the lock goes at once (a delete may be waiting for it).
      release?.();
      release = null;
      if (!loaded) return;
      const { rv, build } = loaded;
      // Back to the pool once nothing of this name is open in it (a close after a close is nothing).
      const closing = name === null ? Promise.resolve() : rv.call('close', { name }, null);
      closing.then(() => {
        const key = `${build}\0${path}`;
        if (!idle.has(key)) idle.set(key, []);
        idle.get(key).push(rv);
      }, () => {});
    },
  };
  serve({
    listen: (f) => {
      handler = f;
    },
    post: (m) => {
      if (!ended) queueMicrotask(() => a.onmessage?.({ data: m }));
    },
    async load(build) {
      const rv = await instance(build, path);
      loaded = { rv, build };
      return rv;
    },
  });
  return a;
}
