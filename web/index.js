// ruvector-web in a browser: the API of web/database.js, each database's engine in a dedicated
// module worker, its data in IndexedDB. No build step is needed; it also works through bundlers
// that understand `new Worker(new URL(..., import.meta.url))` (Vite does). Node has its own
// entry, node/index.js, with the same API (package.json's `node` condition picks it).

import { configure } from './database.js';

// A side effect that bundlers must keep: package.json lists this file under `sideEffects`.
configure({
  // The URL is a plain literal so that bundlers can find and emit the worker.
  startWorker: () => new Worker(new URL('../worker/worker.js', import.meta.url), { type: 'module' }),
  scope: (options) => ({ scope: {}, key: (name) => name, rest: options }),
  base: () => globalThis.location?.href,
  // A window can ask; a worker cannot.
  persist: () => (globalThis.navigator?.storage?.persist ? navigator.storage.persist() : Promise.resolve(null)),
});

export { RuvectorError, Database, open, importDatabase, databases, deleteDatabase } from './database.js';
