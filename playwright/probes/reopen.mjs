// Probe, not a test: reopens of one database in one warm worker, round by round, to see where
// an open's time goes (docs/engine.md, "The page cache"). Needs `scripts/build-web.sh` first.
//   node playwright/probes/reopen.mjs
// N (20000) vectors of 384 dimensions, ROUNDS (6), MODE cache | idb | mix (cache), SWEEP
// searches and IDLE ms of idle time before the first close (0), SIMD=0 for the scalar build.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '../server.mjs';
import { launchPersistent } from '../browser.mjs';

const env = process.env;
const cfg = {
  n: Number(env.N || 20000), dim: 384, rounds: Number(env.ROUNDS || 6), mode: env.MODE || 'cache',
  sweep: Number(env.SWEEP || 0), idle: Number(env.IDLE || 0),
};
const server = await serve(0, { isolated: true });
const profile = await mkdtemp(join(tmpdir(), 'ruvector-probe-')); // IndexedDB on disk
const context = await launchPersistent(profile);
try {
  const page = await context.newPage();
  page.on('console', (m) => console.log(m.text()));
  await page.goto(`${server.url}/playwright/fixtures/bench.html`);
  const url = `/playwright/probes/reopen-worker.js${env.SIMD === '0' ? '?simd=0' : ''}`;
  const r = await page.evaluate(([url, cfg]) => new Promise((resolve) => {
    const w = new Worker(url, { type: 'module' });
    w.onmessage = (e) => {
      if (e.data.ready) w.postMessage(cfg);
      else if (e.data.log) console.log(e.data.log);
      else resolve(e.data);
    };
    w.onerror = (e) => resolve({ error: e.message });
  }), [url, cfg]);
  console.table(r.out ?? r);
} finally {
  await context.close();
  await server.close();
  await rm(profile, { recursive: true, force: true });
}
