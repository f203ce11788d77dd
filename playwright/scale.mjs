// Scale runs of issue #9 (benchmarks, not tests; not part of `make test`): seeded clustered
// data of RUVECTOR_SCALE_N vectors × 384 (default 100,000; 1,000,000 takes many minutes: run it
// in the background), quantization RUVECTOR_SCALE_Q (default int8), built durably in a worker
// with a progress bar, persisted, reopened cold in a fresh worker and searched over an ef sweep
// against exact truth. Writes benches/results/scale-<n>-<q>.json.
//   node playwright/scale.mjs            RUVECTOR_SCALE_N=1000000 node playwright/scale.mjs &
import { writeFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, ROOT } from './server.mjs';
import { launchPersistent } from './browser.mjs';
import { splice, scaleTable } from './bench-report.mjs';



const n = Number(process.env.RUVECTOR_SCALE_N || 100_000);
const q = process.env.RUVECTOR_SCALE_Q || 'int8';
const queries = Number(process.env.RUVECTOR_SCALE_QUERIES || 200);
const server = await serve(0, { isolated: true });
// A profile on disk: a fresh context's storage is kept in memory, with a quota that a million
// vectors exceed.
const profile = await mkdtemp(join(tmpdir(), 'ruvector-scale-'));
const browser = await launchPersistent(profile);
try {
  const page = await browser.newPage();
  page.on('console', (m) => console.log('page:', m.text()));
  await page.goto(`${server.url}/playwright/fixtures/scale.html`);
  await page.waitForFunction(() => window.scaleReady === true);
  const t0 = Date.now();
  const r = await page.evaluate(([a, b, c]) => window.runScale(a, b, c), [n, queries, q]);
  const out = { bench: 'scale', browser: `Chromium ${browser.browser()?.version() ?? ''}`, wall_seconds: (Date.now() - t0) / 1000, ok: r.ok, error: r.error, ...r.out };
  const dir = join(ROOT, 'benches', 'results');
  await mkdir(dir, { recursive: true });
  const file = join(dir, `scale-${n}-${q}.json`);
  await writeFile(file, JSON.stringify(out, null, 2) + '\n');
  console.log(JSON.stringify(out));
  console.log(`wrote ${file}`);
  await splice('benches/README.md', 'scale', await scaleTable(dir));
  console.log('wrote the scale table in benches/README.md');
  if (!r.ok) process.exitCode = 1;
} finally {
  await browser.close();
  server.close();
  await rm(profile, { recursive: true, force: true });
}
