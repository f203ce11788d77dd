// ruvector-web in Node.js (>= 20): the API of the browser entry (web/database.js), each
// database's engine in a `worker_threads` worker running the same WebAssembly (or, with
// `thread: 'main'`, in the calling thread: node/thread.js), its data in files under a directory
// (`path`, default ./ruvector-data). One process at a time opens a database (node/lock.js:
// `LOCKED` otherwise). Nothing here is loaded by the browser entry, and nothing browser-only by
// this one.

import { Worker } from 'node:worker_threads';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { configure, RuvectorError } from '../web/database.js';
import { acquire } from './lock.js';
import { inThread } from './thread.js';

/** Where databases live unless `path` says otherwise (resolved against the working directory). */
export const DEFAULT_PATH = './ruvector-data';

/** A Node worker as the facade drives a browser one (`onmessage`, `postMessage`, `terminate`). */
function adapt(worker, release) {
  let ended = false;
  const a = {
    onmessage: null,
    onerror: null,
    onmessageerror: null,
    postMessage: (m, transfer) => worker.postMessage(m, transfer),
    terminate() {
      ended = true;
      release?.();
      release = null;
      return worker.terminate();
    },
    ref: () => worker.ref(),
    unref: () => worker.unref(),
  };
  worker.on('message', (data) => a.onmessage?.({ data }));
  worker.on('error', (e) => a.onerror?.({ message: e?.message ?? String(e) }));
  worker.on('messageerror', () => a.onmessageerror?.());
  worker.on('exit', (code) => {
    if (!ended) a.onerror?.({ message: `the worker exited (code ${code})` });
    release?.();
    release = null;
  });
  return a;
}

configure({
  startWorker(name, scope) {
    const locked = name ?? scope.deleting;
    const release = locked === undefined ? null : acquire(scope.path, locked);
    if (scope.thread === 'main') return inThread(locked ?? null, scope.path, release);
    try {
      return adapt(new Worker(new URL('./worker.js', import.meta.url), { workerData: { path: scope.path } }), release);
    } catch (e) {
      release?.();
      throw new RuvectorError('INTERNAL', `cannot start a worker: ${e.message}`);
    }
  },
  scope(options) {
    const { path: dir = DEFAULT_PATH, thread = 'worker', ...rest } = options;
    if (typeof dir !== 'string' || dir.length === 0) throw new RuvectorError('BAD_ARGUMENT', 'path: expected a directory path');
    if (thread !== 'worker' && thread !== 'main') throw new RuvectorError('BAD_ARGUMENT', `thread: expected 'worker' or 'main', not ${JSON.stringify(thread)}`);
    const abs = path.resolve(dir);
    // A name already open in this process keeps its engine, whichever thread is asked for.
    return { scope: { path: abs, thread }, key: (name) => `${abs}\u0000${name}`, rest };
  },
  base: () => pathToFileURL(process.cwd() + path.sep).href,
  persist: () => null,
});

export { RuvectorError, Database, open, importDatabase, databases, deleteDatabase } from '../web/database.js';
