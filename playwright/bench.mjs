// `make bench`, browser part. In headless Chromium (cross-origin isolated, for precise timers),
// on ../shared/data/debian-minilm-20k or a seeded synthetic set when that is absent:
//  1. our engine alone, SIMD and scalar builds (fixtures/bench-worker.js) ->
//     benches/results/browser-core.json, tabled by `report` beside the native run;
//  2. ours beside the peers a user would pick instead, each in its own fresh worker, same data,
//     same run (fixtures/peer-worker.js, adapters in fixtures/peers/) ->
//     benches/results/browser-peers.json, then benches/report.html (own SVG charts), its
//     screenshot benches/report.png, and the peers tables in benches/README.md and README.md;
//  3. ours and hnswlib-wasm from the page's main thread, as their users call them: ours through
//     open() and search() (web/index.js), hnswlib in place (fixtures/page-bench.js), with
//     searchMany, searches right after a bulk insert and the first search after a reopen ->
//     the `page` list of browser-peers.json. The README's headline ratios come from this path.
// RUVECTOR_BENCH_LIMIT=n keeps the first n base vectors (a quick run);
// RUVECTOR_BENCH_ONLY=peers skips part 1, =core skips part 2; RUVECTOR_BENCH_SYSTEMS=a,b runs
// only those systems in part 2. Either writes part 2 to browser-peers-partial.json, no report.
// IndexedDB is on disk (a persistent profile); RUVECTOR_BENCH_STORAGE=memory keeps it in memory.
// RUVECTOR_BENCH_IDLE_MS (20000): the idle time before the page path's idle searches;
// RUVECTOR_BENCH_PAGE=0 skips the page path.
import { readFile, writeFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { serve, ROOT } from './server.mjs';
import { launch, launchPersistent, EXECUTABLE } from './browser.mjs';
import { writeReports, screenshotReport } from './bench-report.mjs';
import { PAGE_SYSTEMS } from './fixtures/page-bench.js';

const EFS = [16, 32, 64, 128, 256];
const LIMIT = Number(process.env.RUVECTOR_BENCH_LIMIT || 0);
const ONLY = process.env.RUVECTOR_BENCH_ONLY || '';
/** Ours: the wasm, its glue (wasm-bindgen's module, its snippets folded in by the build), the worker. */
const OURS = ['web/pkg/simd/ruvector_bg.wasm', 'web/pkg/simd/ruvector.js', 'worker/worker.js', 'worker/serve.js'];
/** What a page loads before its first search through the facade: the facade's modules too. */
const OURS_PAGE = [...OURS, 'web/index.js', 'web/database.js', 'web/results.js', 'web/simd.js'];
/** Every system in the run, and the files its worker loads (for bytes raw and gzip). */
const SYSTEMS = {
  ruvector: OURS,
  'ruvector-int8': OURS,
  'ruvector-binary': OURS,
  hnswlib: ['node_modules/hnswlib-wasm/dist/hnswlib.js', 'node_modules/hnswlib-wasm/dist/hnswlib-317962d7.js'],
  edgevec: ['node_modules/edgevec/edgevec_bg.wasm', 'node_modules/edgevec/edgevec.js'],
  ancestor: ['node_modules/@ruvector/wasm/pkg/ruvector_wasm_bg.wasm', 'node_modules/@ruvector/wasm/pkg/ruvector_wasm.js'],
};

/** The native build's QPS at recall@10 = 0.95 (`cargo bench --bench hnsw`, quick mode: ours only). */
function nativeQps() {
  execFileSync('cargo', ['bench', '-q', '-p', 'ruvector-benches', '--bench', 'hnsw'], {
    cwd: ROOT, env: { ...process.env, RUVECTOR_BENCH_QUICK: '1' }, stdio: ['ignore', 'ignore', 'inherit'],
  });
  const quick = JSON.parse(readFileSync(join(ROOT, 'benches', 'results', 'core-quick.json'), 'utf8'));
  console.log('native QPS at recall 0.95:', quick.qps_at_recall_0_95);
  return quick.qps_at_recall_0_95;
}

async function bytesOf(files) {
  let raw = 0;
  let gzip = 0;
  for (const f of files) {
    const b = await readFile(join(ROOT, f));
    raw += b.length;
    gzip += gzipSync(b, { level: 9 }).length;
  }
  return { raw, gzip, files };
}

const dir = join(ROOT, 'benches', 'results');
await mkdir(dir, { recursive: true });
const server = await serve(0, { mounts: { '/shared-data/': resolve(ROOT, '../shared/data') }, isolated: true });
// Eager memory measurement: measureUserAgentSpecificMemory() answers at once instead of at
// the next garbage collection (up to 20 s later).
const FLAGS = ['--enable-blink-features=ForceEagerMeasureMemory'];
// A profile on disk, as a user's browser has: IndexedDB's files on disk, written with fsync.
// A fresh Playwright context keeps IndexedDB in memory instead, which reads 32 MiB faster and
// makes a `strict` commit cost nothing; runs before 2026-11-25 measured that way, and
// RUVECTOR_BENCH_STORAGE=memory still does (into browser-core-memory.json and the partial file).
const STORAGE = process.env.RUVECTOR_BENCH_STORAGE === 'memory' ? 'memory' : 'disk';
const profile = STORAGE === 'disk' ? await mkdtemp(join(tmpdir(), 'ruvector-bench-')) : null;
const inMemory = profile ? null : await launch(FLAGS);
const browser = profile ? await launchPersistent(profile, FLAGS) : await inMemory.newContext();
try {
  const page = await browser.newPage();
  page.on('console', (m) => console.log('page:', m.text()));
  await page.goto(`${server.url}/playwright/fixtures/bench.html`);
  await page.waitForFunction(() => window.benchReady === true);
  const data = await page.evaluate(([efs, limit]) => window.loadData(efs, limit), [EFS, LIMIT]);
  console.log('data:', JSON.stringify(data));
  const browserName = execFileSync(EXECUTABLE, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
    .replace(/ built on .*/, '');

  if (ONLY !== 'peers') {
    const results = {};
    // The native build of the same engine, on the same data, right before and right after the
    // SIMD worker's run: the worker ÷ native ratio from measurements minutes apart on this
    // shared machine swung from 0.50 to 0.76.
    const native = [];
    for (const simd of [true, false]) {
      if (simd) native.push(nativeQps());
      const r = await page.evaluate((s) => window.runBench(s), simd);
      if (!r.ok) throw new Error(`benchmark failed: ${r.error}`);
      results[simd ? 'simd' : 'scalar'] = { dataset: data.dataset, ...r.out };
      console.log(simd ? 'simd' : 'scalar', JSON.stringify(r.out));
      if (simd) native.push(nativeQps());
    }
    results.native_bracket = { qps_at_recall_0_95: native };
    const file = STORAGE === 'disk' ? 'browser-core.json' : `browser-core-${STORAGE}.json`;
    await writeFile(join(dir, file), JSON.stringify({ bench: 'browser-core', browser: browserName, storage: STORAGE, ...results }, null, 2) + '\n');
    console.log(`wrote benches/results/${file}`);
  }

  if (ONLY !== 'core') {
    const systems = [];
    const only = process.env.RUVECTOR_BENCH_SYSTEMS?.split(',');
    for (const [system, files] of Object.entries(SYSTEMS).filter(([id]) => !only || only.includes(id))) {
      const r = await page.evaluate((s) => window.runPeer(s), system);
      const bytes = await bytesOf(files);
      if (!r.ok) {
        console.log(`${system}: failed: ${r.error}`);
        systems.push({ system, error: r.error, bytes });
        continue;
      }
      console.log(system, JSON.stringify(r.out));
      systems.push({ id: system, ...r.out, bytes });
    }
    // A page of its own, as an app's: the facade's workers and the peer's library live in it.
    const pageRun = await browser.newPage();
    pageRun.on('console', (m) => console.log('page:', m.text()));
    await pageRun.goto(`${server.url}/playwright/fixtures/bench.html`);
    await pageRun.waitForFunction(() => window.benchReady === true);
    await pageRun.evaluate(([efs, limit]) => window.loadData(efs, limit), [EFS, LIMIT]);
    const onPage = [];
    for (const system of PAGE_SYSTEMS.filter((id) => (!only || only.includes(id)) && process.env.RUVECTOR_BENCH_PAGE !== '0')) {
      const r = await pageRun.evaluate(([s, o]) => window.runOnPage(s, o), [system, { busyMs: 3000, idleMs: Number(process.env.RUVECTOR_BENCH_IDLE_MS || 20000) }]);
      const bytes = await bytesOf(system.startsWith('ruvector') ? OURS_PAGE : SYSTEMS[system]);
      if (!r.ok) {
        console.log(`${system} on the page: failed: ${r.error}`);
        onPage.push({ id: system, path: 'page', error: r.error, bytes });
        continue;
      }
      console.log(`${system} on the page`, JSON.stringify(r.out));
      onPage.push({ id: system, ...r.out, bytes });
    }
    const out = { bench: 'browser-peers', browser: browserName, storage: STORAGE, ...data, efs: EFS, k: 10, systems, page: onPage };
    // A partial run (some systems, or fewer vectors) never replaces the full results.
    const file = only || LIMIT || STORAGE !== 'disk' ? 'browser-peers-partial.json' : 'browser-peers.json';
    await writeFile(join(dir, file), JSON.stringify(out, null, 2) + '\n');
    console.log(`wrote benches/results/${file}`);
    if (file === 'browser-peers.json') {
      await writeReports(out);
      await screenshotReport(page, server.url);
    }
  }
} finally {
  await browser.close();
  await inMemory?.close();
  await server.close();
  if (profile) await rm(profile, { recursive: true, force: true });
}
