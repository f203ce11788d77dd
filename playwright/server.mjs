// A static file server for the browser tests and the demo: serves the repository root on
// 127.0.0.1 with the right MIME types (a module worker and .wasm need them).
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.wasm': 'application/wasm', '.json': 'application/json', '.css': 'text/css', '.svg': 'image/svg+xml',
  '.bin': 'application/octet-stream', '.onnx': 'application/octet-stream', '.png': 'image/png',
};

/**
 * Starts the server on 127.0.0.1:`port` (0: any free port); resolves to { url, close }.
 * `mounts` maps URL prefixes to other folders (e.g. { '/shared-data/': '../shared/data' });
 * `isolated` adds COOP/COEP headers (cross-origin isolation: precise timers in workers).
 */
export function serve(port = 0, { root = ROOT, mounts = {}, isolated = false } = {}) {
  const server = createServer(async (req, res) => {
    try {
      const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname));
      let base = root;
      let rel = path;
      for (const [prefix, dir] of Object.entries(mounts)) {
        if (path.startsWith(prefix)) { base = resolve(dir); rel = path.slice(prefix.length); }
      }
      let file = join(base, rel);
      if (!file.startsWith(base)) throw new Error('outside root');
      if ((await stat(file)).isDirectory()) file = join(file, 'index.html');
      const body = await readFile(file);
      const headers = { 'content-type': TYPES[extname(file)] || 'application/octet-stream', 'cache-control': 'no-store' };
      if (isolated) {
        headers['cross-origin-opener-policy'] = 'same-origin';
        headers['cross-origin-embedder-policy'] = 'require-corp';
      }
      res.writeHead(200, headers);
      res.end(body);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    }
  });
  return new Promise((ok) => server.listen(port, '127.0.0.1', () => {
    ok({ url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((done) => server.close(done)) });
  }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const port = Number(process.argv[2] || 8787);
  serve(port).then(({ url }) => console.log(`serving ${ROOT} at ${url}\n\n  demo: ${url}/demo/\n`));
}
