// The browser benchmark harness stays runnable: every system's adapter goes through the whole
// measurement on small seeded data (ids mapped right, so recall is real; a peer's failing step
// is recorded, not fatal), and the report renders from such a run with its ratios read off
// the curves and every chart drawn. Speed itself is never asserted here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { suite } from './harness.mjs';
import { qpsAtRecall, render, summarise, chartsDrawn } from './bench-report.mjs';

const env = suite({ isolated: true, args: ['--enable-blink-features=ForceEagerMeasureMemory'] });
const SYSTEMS = ['ruvector', 'ruvector-int8', 'hnswlib', 'edgevec', 'ancestor'];
let run;

test('qpsAtRecall interpolates log-linearly, never extrapolates, and says when a curve never gets there', () => {
  const curve = [{ recall10: 0.9, qps: 1000 }, { recall10: 1.0, qps: 100 }];
  assert.ok(Math.abs(qpsAtRecall(curve, 0.95) - Math.sqrt(1000 * 100)) < 1e-9);
  assert.equal(qpsAtRecall(curve, 0.85), 1000, 'a curve that starts above the target gives its first point');
  assert.equal(qpsAtRecall([{ recall10: 0.5, qps: 9 }], 0.95), null);
});

test('every system runs the whole measurement on seeded data, in its own worker', async () => {
  const page = await env.browser.newPage();
  page.on('pageerror', (e) => console.log('page error:', e.message));
  await page.goto(`${env.server.url}/playwright/fixtures/bench.html`);
  await page.waitForFunction(() => window.benchReady === true);
  const data = await page.evaluate(() => window.loadData([16, 64], 1500, { shared: false }));
  assert.equal(data.n, 1500);
  const systems = [];
  for (const system of SYSTEMS) {
    const r = await page.evaluate((s) => window.runPeer(s), system);
    assert.ok(r.ok, `${system}: ${r.error}`);
    const s = { id: system, ...r.out, bytes: { raw: 1, gzip: 1 } };
    systems.push(s);
    const at64 = s.search.find((p) => p.ef === (s.kind === 'flat' ? null : 64));
    console.log(`${system}: recall@10 ${at64.recall10} at ef ${at64.ef}; JS heap ${s.js_heap_bytes} B; reopen ${JSON.stringify(s.reopen?.map((x) => x.error ?? x.same_answers))}`);
    // A wrong id mapping in an adapter shows up as recall near zero.
    assert.ok(at64.recall10 >= 0.9, `${system}: recall@10 ${at64.recall10}`);
    assert.equal(s.search.length, s.kind === 'flat' ? 1 : 2);
    // The worker's heap holds at least the data posted to it (1,500 × 384 floats).
    assert.ok(s.js_heap_bytes >= 1500 * 384 * 4, `${system}: JS heap ${s.js_heap_bytes}`);
    for (const f of s.filtered) assert.ok(f.error || Number.isFinite(f.recall10), `${system} ${f.label}: a result or an error`);
    for (const stepName of ['flat', 'export', 'persist']) {
      const st = s[stepName];
      assert.ok(st.error || st.unsupported || Object.keys(st).length > 1, `${system} ${stepName}: a result or a reason`);
    }
  }
  const ours = systems[0];
  assert.ok(ours.filtered.every((f) => f.recall10 >= 0.9), 'our filtered search finds the true neighbours among the matches');
  assert.equal(ours.flat.recall10, 1, 'our exact index is exact');
  assert.equal(ours.reopen.length, 3);
  assert.ok(ours.reopen.every((x) => x.same_answers === true), 'a cold reopen answers as before it was closed');
  const int8 = systems[1];
  assert.ok(int8.reopen.every((x) => x.same_answers === true), "quantization 'int8' survives a cold reopen, same answers");
  assert.ok(ours.export.bytes > 0 && Number.isFinite(ours.export.import_ms));
  run = { bench: 'browser-peers', browser: 'Chromium', ...data, efs: [16, 64], k: 10, systems };
  await page.close();
});

test('the page path: ours through the facade and hnswlib-wasm on the page, with searchMany, stalls and the first search', async () => {
  assert.ok(run, 'the worker path ran');
  const page = await env.browser.newPage();
  page.on('pageerror', (e) => console.log('page error:', e.message));
  await page.goto(`${env.server.url}/playwright/fixtures/bench.html`);
  await page.waitForFunction(() => window.benchReady === true);
  await page.evaluate(() => window.loadData([16, 64], 1500, { shared: false }));
  run.page = [];
  for (const system of ['ruvector', 'hnswlib']) {
    const r = await page.evaluate((s) => window.runOnPage(s, { busyMs: 300, idleMs: 300 }), system);
    assert.ok(r.ok, `${system} on the page: ${r.error} ${r.stack}`);
    run.page.push({ id: system, ...r.out, bytes: { raw: 1, gzip: system === 'ruvector' ? 3 : 2 } });
    const at64 = r.out.search.find((p) => p.ef === 64);
    assert.ok(at64.recall10 >= 0.9, `${system} on the page: recall@10 ${at64.recall10}`);
    assert.equal(r.out.path, 'page');
    assert.ok(r.out.reopen[0].same_answers, `${system}: reopened on the page, same answers`);
  }
  const ours = run.page[0];
  // searchMany answers each query as search does: the same recall at every ef.
  assert.deepEqual(ours.batch.map((b) => [b.ef, b.recall10]), ours.search.map((p) => [p.ef, p.recall10]));
  assert.ok(ours.after_bulk.busy.queries >= 50 && ours.after_bulk.idle.queries >= 50);
  assert.ok(ours.after_bulk.busy.p99_us >= ours.after_bulk.busy.p50_us);
  assert.ok(ours.first_search.first_us > 0 && ours.first_search.next.queries >= 49);
  assert.ok(ours.echo_p50_us > 0, 'a bare round trip was timed');
  assert.ok(ours.wasm_memory_bytes >= 2 ** 16, 'wasm memory read through stats()');
  await page.close();
});

test('the report renders from the run: ratios off the curves, six charts drawn', async () => {
  assert.ok(run, 'the measurement test ran');
  const sum = summarise(run);
  const out = render(run);
  const hnsw = run.systems.find((s) => s.id === 'hnswlib');
  const expected = qpsAtRecall(run.systems[0].search) / qpsAtRecall(hnsw.search);
  assert.ok(out.markdown.includes(`our search QPS ÷ hnswlib-wasm's at recall@10 = 0.95 | ${expected.toFixed(2)}×`), 'the hnswlib ratio is in the table');
  assert.equal(sum.ratios.qps.length, 3);
  assert.ok(out.headline.includes('build rate, durable') && out.headline.includes('make bench'));
  // The headline comes from the page path: ratios of ours through the facade to hnswlib-wasm on the page.
  assert.ok(out.headline.includes('through the public API'), out.headline);
  const pg = sum.page;
  const atPage = (id) => qpsAtRecall(run.page.find((s) => s.id === id).search);
  assert.equal(pg.qps, atPage('ruvector') / atPage('hnswlib'));
  assert.equal(pg.qpsBatch, qpsAtRecall(run.page[0].batch) / atPage('hnswlib'), 'searchMany against hnswlib-wasm on the page');
  assert.ok(out.headline.includes(`${pg.qps.toFixed(2)}× hnswlib-wasm's QPS`), out.headline);
  assert.equal(pg.bytes, 1.5, 'bytes loaded: ours ÷ hnswlib-wasm\'s');
  assert.ok(out.markdown.includes('### Through the public API, from a page'));
  // A missed target is explained with the run's own figures; a met one is not listed.
  assert.equal(out.markdown.includes('- **QPS through the facade'), pg.qps < 2.5);
  assert.equal(out.markdown.includes('- **bytes loaded'), pg.bytes > 1, 'bytes: 1.5× in this test run');
  const workerOnly = render({ ...run, page: undefined });
  assert.ok(workerOnly.headline.includes('timed inside the worker'), 'a run without the page path says its figures are in-worker');
  // Where IndexedDB was kept is part of every heading that quotes the run's times.
  assert.ok(out.headline.includes('IndexedDB in memory') && out.markdown.includes('IndexedDB in memory'), 'a run without `storage` kept IndexedDB in memory');
  const onDisk = render({ ...run, storage: 'disk' });
  assert.ok(onDisk.headline.includes('IndexedDB on disk') && onDisk.markdown.includes('IndexedDB on disk') && onDisk.html.includes('IndexedDB on disk'));
  const page = await env.browser.newPage();
  await page.setContent(out.html);
  assert.equal(await chartsDrawn(page), 6);
  await page.close();
});
