// Probe, not a test: searches through the facade right after one bulk insertMany of N (20000)
// seeded 384-d vectors, for MS (4000) ms; prints every search slower than SLOW (3) ms with its
// time since the insert resolved, and the worker's console (TIMING lines, when instrumented).
// Needs `scripts/build-web.sh` first.   node playwright/probes/stalls.mjs
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '../server.mjs';
import { launchPersistent } from '../browser.mjs';

const env = process.env;
const cfg = { n: Number(env.N || 20000), ms: Number(env.MS || 4000), slow: Number(env.SLOW || 3) };
const server = await serve(0, { isolated: true });
const profile = await mkdtemp(join(tmpdir(), 'ruvector-probe-'));
const context = await launchPersistent(profile);
try {
  const page = await context.newPage();
  let t0 = null;
  page.on('console', (m) => console.log(m.text()));
  await page.goto(`${server.url}/playwright/fixtures/bench.html`);
  await page.waitForFunction(() => window.benchReady === true);
  await page.evaluate(([limit]) => window.loadData([16], limit, { shared: false }), [cfg.n]);
  const r = await page.evaluate(async ({ ms, slow }) => {
    const { open } = await import('/web/index.js');
    const { base, queries, dim } = window.data;
    const nq = queries.length / dim;
    const db = await open(`probe-${Date.now()}`, { dimensions: dim, metric: 'cosine' });
    await db.insertMany({ vectors: base });
    const start = performance.now();
    console.log(`insert resolved at ${start.toFixed(0)}`);
    const slowOnes = [];
    const lat = [];
    for (let i = 0; performance.now() - start < ms; i++) {
      const s = performance.now();
      await db.search(queries.slice((i % nq) * dim, (i % nq + 1) * dim), { k: 10, ef: 64 });
      const d = performance.now() - s;
      lat.push(d);
      if (d > slow) slowOnes.push(`${(s - start).toFixed(0)} ms: ${d.toFixed(1)} ms`);
    }
    lat.sort((a, b) => a - b);
    const stats = await db.stats();
    await db.destroy();
    return { slowOnes, n: lat.length, p50: lat[lat.length >> 1], p99: lat[Math.floor(lat.length * 0.99)], max: lat[lat.length - 1], checkpoints: stats.storage.checkpoints, cacheWrites: stats.persistence.cacheWrites };
  }, cfg);
  console.log(r.slowOnes.join('\n'));
  console.log({ ...r, slowOnes: r.slowOnes.length });
} finally {
  await context.close();
  await server.close();
  await rm(profile, { recursive: true, force: true });
}
