// Probe, not a test: where one query's time goes, p50 in µs at ef EF (16), on N (20000)
// seeded 384-d vectors, ROUNDS (2000) queries each:
//   facade        `db.search()` from the page, each query its own Float32Array
//   facade count  `db.count()` from the page
//   echo          a bare postMessage round trip of 384 floats to a worker
//   worker call   `call('search')` timed inside a worker, one request per message
//   warm call     the same call repeated at once in the same task (caches warm)
//   second call   another query's call right after, in the same task
//   loop_search   mean of 4,000 `call('search')`s back to back in the worker (other queries)
//   loop_count    the same for `call('count')`: the binding's own cost per call
// Needs `scripts/build-web.sh` first.   node playwright/probes/call-path.mjs
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '../server.mjs';
import { launchPersistent } from '../browser.mjs';

const env = process.env;
const cfg = { n: Number(env.N || 20000), ef: Number(env.EF || 16), rounds: Number(env.ROUNDS || 2000) };
const server = await serve(0, { isolated: true });
const profile = await mkdtemp(join(tmpdir(), 'ruvector-probe-'));
const context = await launchPersistent(profile);
try {
  const page = await context.newPage();
  page.on('console', (m) => console.log(m.text()));
  await page.goto(`${server.url}/playwright/fixtures/bench.html`);
  await page.waitForFunction(() => window.benchReady === true);
  await page.evaluate(([limit]) => window.loadData([16], limit, { shared: false }), [cfg.n]);
  const r = await page.evaluate(async ({ ef, rounds }) => {
    const { open } = await import('/web/index.js');
    const { now } = await import('/playwright/fixtures/measure.js');
    const { base, queries, dim } = window.data;
    const nq = queries.length / dim;
    const query = (i) => queries.slice((i % nq) * dim, (i % nq + 1) * dim);
    const p50 = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
    /** p50 in µs of `f(i)`, timed here, after as many untimed rounds. */
    const time = async (f) => {
      for (let i = 0; i < rounds; i++) await f(i);
      const lat = [];
      for (let i = 0; i < rounds; i++) {
        const s = now();
        await f(i);
        lat.push((now() - s) * 1000);
      }
      return p50(lat);
    };
    const name = `probe-${Date.now()}`;
    const db = await open(name, { dimensions: dim, metric: 'cosine' });
    await db.insertMany({ vectors: base });
    await new Promise((r) => setTimeout(r, 3000)); // the checkpoint runs while idle
    const out = {
      facade: await time((i) => db.search(query(i), { k: 10, ef })),
      'facade count': await time(() => db.count()),
    };
    await db.close();
    const w = new Worker('/playwright/probes/call-path-worker.js', { type: 'module' });
    const ask = (m) => new Promise((resolve) => { w.onmessage = (e) => resolve(e.data); w.postMessage(m); });
    await new Promise((resolve) => { w.onmessage = resolve; });
    out.echo = await time((i) => ask({ echo: true, vector: query(i) }));
    await ask({ open: name });
    for (const [label, twice, other] of [['worker call', false, false], ['warm call', true, false], ['second call', true, true]]) {
      const inWorker = [];
      await time(async (i) => inWorker.push((await ask({ twice, other: other ? query(i + 7) : undefined, op: 'search', args: { name, vector: query(i), options: { k: 10, ef } } })).us));
      out[label] = p50(inWorker.slice(rounds));
    }
    Object.assign(out, await ask({ name, loop: { queries, dim, ef } }));
    w.terminate();
    return out;
  }, cfg);
  for (const [k, v] of Object.entries(r)) console.log(`${k.padEnd(14)} ${Math.round(v)} µs`);
} finally {
  await context.close();
  await server.close();
  await rm(profile, { recursive: true, force: true });
}
