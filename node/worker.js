// ruvector-web's worker in Node: the browser's engine (web/pkg, the same WebAssembly) in a
// `worker_threads` worker, its records in files (node/files.js) under the directory the
// facade names in `workerData.path`. The protocol is the browser worker's (worker/serve.js).

import { parentPort, workerData } from 'node:worker_threads';
import { readFile } from 'node:fs/promises';
import { serve } from '../worker/serve.js';
import { RecordHost } from './files.js';

const BUILDS = {
  // @ts-ignore: web/pkg is made by scripts/build-web.sh
  simd: () => import('../web/pkg/simd/ruvector.js'),
  // @ts-ignore: as above
  scalar: () => import('../web/pkg/scalar/ruvector.js'),
};

serve({
  listen: (f) => parentPort.on('message', f),
  post: (m, transfer) => parentPort.postMessage(m, transfer || []),
  async load(build) {
    const [rv, wasm] = await Promise.all([BUILDS[build](), readFile(new URL(`../web/pkg/${build}/ruvector_bg.wasm`, import.meta.url))]);
    await rv.default({ module_or_path: wasm });
    rv.setRecordHost(new RecordHost(workerData.path));
    return rv;
  },
});
