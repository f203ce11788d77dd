// The demo page end to end: the first visit loads the slice with a progress bar, a typed
// query is embedded in the browser and finds a web browser, "more like this" and the section
// filter work, a reload opens from IndexedDB without fetching the vectors again, and a
// screenshot is saved to target/screenshots/demo.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT } from './server.mjs';
import { suite } from './harness.mjs';

const env = suite();
const BROWSERS = ['links2', 'w3m', 'lynx', 'lynx-common', 'elinks', 'chromium', 'chromium-l10n', 'chromium-driver', 'kristall'];

test('the demo: first visit loads and persists, typed search finds a browser, reload opens from IndexedDB', { timeout: 240_000 }, async () => {
  const context = await env.browser.newContext({ viewport: { width: 1100, height: 900 } });
  const p = await context.newPage();
  p.on('pageerror', (e) => console.log('page error:', e.message));
  const fetched = [];
  p.on('request', (r) => fetched.push(new URL(r.url()).pathname));
  await p.goto(`${env.server.url}/demo/`);
  // First visit: the progress bar shows while the vectors go into IndexedDB.
  await p.waitForSelector('#loading:not([hidden])', { timeout: 60_000 });
  await p.waitForSelector('body[data-phase=ready]', { timeout: 120_000 });
  assert.equal(await p.getAttribute('body', 'data-loaded-from'), 'network');
  assert.ok(fetched.includes('/demo/data/vectors.f32'));
  assert.equal(await p.isHidden('#loading'), true);
  await p.waitForSelector('body[data-model=ready]', { timeout: 120_000 });

  await p.fill('#query', 'a text-mode web browser');
  await p.waitForFunction(() => /hybrid search in/.test(document.getElementById('status').textContent), null, { timeout: 60_000 });
  const results = await p.$$eval('#results li', (l) => l.map((x) => ({ id: x.dataset.id, score: Number(x.querySelector('.score-value').textContent) })));
  console.log('# query "a text-mode web browser":', results.slice(0, 5).map((r) => `${r.id} ${r.score}`).join(', '));
  assert.equal(results.length, 12);
  assert.ok(results.slice(0, 3).some((r) => BROWSERS.includes(r.id)), `a web browser in the top 3: ${results.map((r) => r.id).join(', ')}`);
  assert.ok(results.every((r, i) => i === 0 || r.score <= results[i - 1].score), 'best first');
  const statusText = await p.textContent('#status');
  assert.match(statusText, /embedded in .* hybrid search in .* (WebAssembly SIMD128|scalar WebAssembly)/);
  // Hybrid by default: each hit says why it ranks (its BM25 and cosine scores).
  const why = await p.$$eval('#results li', (l) => l.map((x) => [x.querySelector('.why-text').textContent, x.querySelector('.why-vector').textContent]));
  assert.ok(why.every(([, v]) => /^cos /.test(v)), JSON.stringify(why));
  assert.ok(why.some(([t]) => /^BM25 /.test(t)), 'some hit holds a query word');
  await mkdir(join(ROOT, 'target', 'screenshots'), { recursive: true });
  await p.screenshot({ path: join(ROOT, 'target', 'screenshots', 'demo.png') });

  // The text switch: BM25 alone finds a package by its name, no embedding.
  await p.check('#mode input[value=text]');
  await p.fill('#query', 'xgterm');
  await p.waitForFunction(() => /text search in/.test(document.getElementById('status').textContent) && document.querySelector('#results li')?.dataset.id === 'xgterm', null, { timeout: 60_000 });
  assert.doesNotMatch(await p.textContent('#status'), /embedded/);
  assert.equal(await p.textContent('#results li .why-vector'), '', 'a text hit has no vector score');
  await p.check('#mode input[value=hybrid]');
  await p.fill('#query', 'a text-mode web browser');
  await p.waitForFunction(() => /hybrid search in/.test(document.getElementById('status').textContent), null, { timeout: 60_000 });

  // More like this: the chosen package's neighbours, without itself.
  const first = results[0].id;
  await p.click(`#results li[data-id="${first}"] .more`);
  await p.waitForFunction((id) => !document.getElementById('similar').hidden && document.getElementById('similar-name').textContent === id, first);
  await p.waitForFunction((id) => document.querySelector('#results li') && !document.querySelector(`#results li[data-id="${id}"]`), first);
  // The section filter: every result is in the chosen section.
  await p.click('#similar-clear');
  await p.selectOption('#section', 'web');
  await p.waitForFunction(() => [...document.querySelectorAll('#results .section')].every((s) => s.textContent === 'web') && document.querySelectorAll('#results li').length > 0);

  // Reload: opened from IndexedDB, the vectors are not downloaded again.
  fetched.length = 0;
  await p.reload();
  await p.waitForSelector('body[data-phase=ready]', { timeout: 60_000 });
  assert.equal(await p.getAttribute('body', 'data-loaded-from'), 'indexeddb');
  assert.ok(!fetched.includes('/demo/data/vectors.f32'), 'no vectors fetched on reload');
  const reopened = await p.textContent('#status');
  console.log(`# demo reload: ${reopened}`);
  assert.match(reopened, /opened from IndexedDB/);
  await p.waitForSelector('body[data-model=ready]', { timeout: 120_000 });
  await p.waitForFunction(() => /search in/.test(document.getElementById('status').textContent), null, { timeout: 60_000 });
  assert.equal(await p.inputValue('#query'), 'a text-mode web browser', 'the query survives the reload (?q=)');
  await context.close();
});
