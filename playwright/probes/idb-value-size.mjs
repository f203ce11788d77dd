// Probe, not a test: how fast IndexedDB (on disk, in Debian's Chromium) gives back 30 MB
// stored as values of different sizes; the floor under an open that reads every page from
// IndexedDB (docs/engine.md, "The page cache").   node playwright/probes/idb-value-size.mjs
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '../server.mjs';
import { launchPersistent } from '../browser.mjs';

const server = await serve(0, { isolated: true });
const profile = await mkdtemp(join(tmpdir(), 'ruvector-probe-'));
const context = await launchPersistent(profile);
try {
  const page = await context.newPage();
  await page.goto(`${server.url}/playwright/fixtures/bench.html`);
  const r = await page.evaluate((url) => new Promise((resolve) => {
    const w = new Worker(url, { type: 'module' });
    w.onmessage = (e) => resolve(e.data);
    w.onerror = (e) => resolve({ error: e.message });
  }), '/playwright/probes/idb-value-size-worker.js');
  console.table(r);
} finally {
  await context.close();
  await server.close();
  await rm(profile, { recursive: true, force: true });
}
