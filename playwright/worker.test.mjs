// The worker protocol end to end in headless Chromium: build selection, every kind of
// malformed message, bulk insert with progress and abort, persistence across a reload, and
// the browser half of the browser→native parity test (it writes target/parity/).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT } from './server.mjs';
import { suite, unique } from './harness.mjs';

const env = suite();

// `make test` runs this suite twice: once as the browser picks (SIMD128), once with
// RUVECTOR_BUILD=scalar, which loads every page with ?simd=0.
const BUILD = process.env.RUVECTOR_BUILD === 'scalar' ? 'scalar' : 'simd';
console.log(`# worker suite against the ${BUILD} build`);

// Each call opens its own browser context (its own storage) unless one is given: two tabs
// of one origin must share a context. An empty query takes the suite's build.
async function page(query = '', context = null) {
  const p = context ? await context.newPage() : await env.browser.newPage();
  p.on('pageerror', (e) => console.log('page error:', e.message));
  const q = query || (BUILD === 'scalar' ? '?simd=0' : '');
  await p.goto(`${env.server.url}/playwright/fixtures/worker.html${q}`);
  await p.waitForFunction(() => window.rvReady === true);
  if (!query) {
    const hello = await p.evaluate(() => window.rvCall('hello', {}));
    assert.equal(hello.value?.build, BUILD, `the page runs the ${BUILD} build`);
  }
  return p;
}

const call = (p, op, args) => p.evaluate(([op, args]) => window.rvCall(op, args), [op, args]);
const ok = async (p, op, args) => {
  const r = await call(p, op, args);
  assert.equal(r.ok, true, `${op}: ${JSON.stringify(r.error)}`);
  return r.value;
};

test('the worker fetches its build\'s .wasm while the glue module is still loading, and nothing else from web/pkg', async () => {
  const context = await env.browser.newContext();
  const HOLD = 400; // ms each glue module is held back
  await context.route('**/web/pkg/*/ruvector.js', async (route) => {
    await new Promise((r) => setTimeout(r, HOLD));
    await route.continue();
  });
  const seen = [];
  context.on('request', (r) => {
    if (r.url().includes('/web/pkg/')) seen.push({ url: r.url(), at: Date.now() });
  });
  const p = await page('', context);
  const glue = seen.find((r) => r.url.endsWith(`/${BUILD}/ruvector.js`));
  const wasm = seen.find((r) => r.url.endsWith(`/${BUILD}/ruvector_bg.wasm`));
  assert.ok(glue && wasm, JSON.stringify(seen));
  assert.ok(wasm.at - glue.at < HOLD / 2, `the .wasm was asked for ${wasm.at - glue.at} ms after the glue, which was held ${HOLD} ms`);
  // Nothing else: not the other build, and no snippet modules (folded into the glue, so that
  // loading it is one fetch).
  assert.deepEqual(seen.map((r) => new URL(r.url).pathname).sort(), [`/web/pkg/${BUILD}/ruvector.js`, `/web/pkg/${BUILD}/ruvector_bg.wasm`]);
  await p.close();
  await context.close();
});

test('the worker picks the SIMD build, and ?simd=0 forces the scalar one', async () => {
  const simd = await page('?simd=auto');
  const hello = await ok(simd, 'hello', {});
  assert.equal(hello.protocol, 2);
  assert.equal(hello.simdSupported, true, 'Chromium validates SIMD128');
  assert.equal(hello.build, 'simd');
  assert.equal(hello.simd, true);
  const name = unique('kernel');
  const stats = await ok(simd, 'open', { name, options: { dimensions: 4 } });
  assert.equal(stats.kernel, 'simd128');
  await ok(simd, 'deleteDatabase', { name });
  await simd.close();

  const scalar = await page('?simd=0');
  const h = await ok(scalar, 'hello', {});
  assert.equal(h.build, 'scalar');
  assert.equal(h.simd, false);
  const s = await ok(scalar, 'open', { name, options: { dimensions: 4 } });
  assert.equal(s.kernel, 'portable-wasm32');
  assert.equal(s.simd, false);
  await ok(scalar, 'deleteDatabase', { name });
  await scalar.close();
});

test('malformed messages get error replies and the worker stays alive', async () => {
  const p = await page();
  const name = unique('hostile');
  await ok(p, 'open', { name, options: { dimensions: 3 } });
  await ok(p, 'insert', { name, items: [{ id: 'a', vector: [1, 2, 3] }] });
  const raw = [42, 'hello', null, {}, { op: 'hello' }, { id: {}, op: 'hello' }];
  await p.evaluate((raw) => raw.forEach((m) => window.rvPost(m)), raw);
  await p.waitForFunction((n) => window.rvReplies.filter((r) => r.id === null).length >= n, raw.length);
  const anonymous = await p.evaluate(() => window.rvReplies.filter((r) => r.id === null));
  assert.ok(anonymous.every((r) => r.ok === false && r.error.code === 'BAD_MESSAGE'), JSON.stringify(anonymous));
  const cases = [
    [{ op: 'nope', args: {} }, 'UNKNOWN_OP'],
    [{ op: 5, args: {} }, 'BAD_MESSAGE'],
    [{ op: 'search', args: 5 }, 'BAD_ARGUMENT'],
    [{ op: 'search', args: { name, vector: [1, 2, 3], options: { k: -1 } } }, 'BAD_ARGUMENT'],
    [{ op: 'search', args: { name, vector: [1, 2, 3], options: { k: 1e9 } } }, 'INVALID_K'],
    [{ op: 'search', args: { name, vector: [1, 2], options: {} } }, 'DIMENSION_MISMATCH'],
    [{ op: 'search', args: { name: 7, vector: [1, 2, 3] } }, 'BAD_ARGUMENT'],
    [{ op: 'insert', args: { name, items: [{ vector: [1, NaN, 3] }] } }, 'NON_FINITE'],
    [{ op: 'insertMany', args: { name, vectors: [1, 2, 3] } }, 'BAD_ARGUMENT'],
    [{ op: 'search', args: { name, vector: [1, 2, 3], options: { filter: { a: { $where: 1 } } } } }, 'INVALID_FILTER'],
  ];
  for (const [msg, code] of cases) {
    const r = await p.evaluate((m) => new Promise((resolve) => {
      const id = `x${Math.random()}`;
      const seen = window.rvReplies.length;
      window.rvPost({ v: 2, id, ...m });
      const tick = () => {
        const got = window.rvReplies.slice(seen).find((r) => r.id === id);
        if (got) resolve(got); else setTimeout(tick, 5);
      };
      tick();
    }), msg);
    assert.equal(r.ok, false, JSON.stringify(msg));
    assert.equal(r.error.code, code, `${JSON.stringify(msg)} → ${JSON.stringify(r.error)}`);
  }
  const v1 = await p.evaluate(() => new Promise((resolve) => {
    window.rvPost({ v: 1, id: 'v1', op: 'hello' });
    const tick = () => { const r = window.rvReplies.find((x) => x.id === 'v1'); r ? resolve(r) : setTimeout(tick, 5); };
    tick();
  }));
  assert.equal(v1.error.code, 'PROTOCOL_VERSION', 'a version 1 client would misread the result sets');
  assert.equal(await ok(p, 'count', { name }), 1, 'data unchanged');
  assert.equal((await ok(p, 'hello', {})).protocol, 2, 'worker alive');
  await ok(p, 'deleteDatabase', { name });
  await p.close();
});

test('insertMany commits in chunks with progress, and data survives a reload', async () => {
  const p = await page();
  const name = unique('bulk');
  const dim = 8;
  await ok(p, 'open', { name, options: { dimensions: dim, metric: 'euclidean' } });
  const res = await p.evaluate(async ([name, dim]) => {
    const n = 2500;
    const vectors = new Float32Array(n * dim).map((_, i) => Math.sin(i * 0.37) + (i % 7));
    const ids = Array.from({ length: n }, (_, i) => `d${i}`);
    const r = await window.rvCall('insertMany', { name, vectors, ids, chunk: 1000 });
    return { r, progress: window.rvEvents.filter((e) => e.event === 'progress' && e.name === name).map((e) => e.detail.committed) };
  }, [name, dim]);
  assert.equal(res.r.ok, true, JSON.stringify(res.r.error));
  assert.equal(res.r.value.committed, 2500);
  assert.deepEqual(res.progress, [1000, 2000, 2500]);
  const changes = await p.evaluate((name) => window.rvEvents.filter((e) => e.event === 'change' && e.name === name).length, name);
  assert.ok(changes >= 3, `change events: ${changes}`);
  const before = await ok(p, 'search', { name, vector: Array.from({ length: dim }, (_, i) => i % 3), options: { k: 5 } });
  await p.reload();
  await p.waitForFunction(() => window.rvReady === true);
  const reopened = await ok(p, 'open', { name, options: {} });
  assert.equal(reopened.len, 2500);
  assert.equal(reopened.distanceEvaluations, 0);
  const after = await ok(p, 'search', { name, vector: Array.from({ length: dim }, (_, i) => i % 3), options: { k: 5 } });
  assert.deepEqual(after.hits, before.hits);
  const bytes = await p.evaluate(async (name) => (await window.rvCall('export', { name })).value.length, name);
  assert.ok(bytes > 2500 * dim * 4);
  await ok(p, 'deleteDatabase', { name });
  await p.close();
});

// A seeded generator shared with nothing: the op sequence and its data go to
// target/parity/<build>/ops.json, which the native test replays on redb.
function lcg(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

test('parity: the browser runs a seeded op sequence and exports it for the native test', async () => {
  const p = await page();
  const rand = lcg(20261124);
  const dim = 16;
  const vec = () => Array.from({ length: dim }, () => Math.fround(rand() * 2 - 1));
  const WORDS = ['secure', 'socket', 'library', 'libraries', 'compression', 'café', 'kernel', 'module', 'python3-numpy', 'running'];
  const words = () => Array.from({ length: 2 + Math.floor(rand() * 6) }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(' ');
  const ops = [];
  let next = 0;
  const bulk = [];
  for (let i = 0; i < 300; i++) bulk.push({ id: `v${next++}`, vector: vec(), metadata: { g: i % 4 }, ...(i % 3 ? { text: words() } : {}) });
  ops.push({ op: 'insert', items: bulk });
  for (let i = 0; i < 40; i++) ops.push({ op: 'insert', items: [{ id: `v${next++}`, vector: vec(), metadata: { g: i % 4, s: `t${i}` } }] });
  ops.push({ op: 'upsert', id: 'v3', vector: vec() });
  ops.push({ op: 'upsert', id: 'v4', metadata: { moved: true } });
  ops.push({ op: 'upsert', id: 'v7', text: 'kernel module rewritten' });
  ops.push({ op: 'upsert', id: 'v8', text: null });
  ops.push({ op: 'delete', ids: ['v5', 'v6', 'v310'] });
  for (let i = 0; i < 10; i++) ops.push({ op: 'insert', items: [{ id: `v${next++}`, vector: vec() }] });
  const queries = Array.from({ length: 20 }, vec);
  const textQueries = ['secure socket', 'libraries running', 'cafe', 'kernel module', 'python3'];
  const out = { dim, ops, queries, textQueries, databases: [] };
  for (const [metric, index] of [['cosine', 'hnsw'], ['euclidean', 'flat'], ['dotproduct', 'hnsw']]) {
    const name = unique(`parity-${index}`);
    await ok(p, 'open', { name, options: { dimensions: dim, metric, index, text: true } });
    for (const o of ops) {
      if (o.op === 'insert') await ok(p, 'insert', { name, items: o.items });
      if (o.op === 'upsert') await ok(p, 'upsert', { name, id: o.id, vector: o.vector, metadata: o.metadata, text: o.text });
      if (o.op === 'delete') await ok(p, 'delete', { name, ids: o.ids });
    }
    const results = [];
    for (const q of queries) results.push((await ok(p, 'search', { name, vector: q, options: { k: 10, includeMetadata: true } })).hits);
    const textResults = [];
    for (const q of textQueries) textResults.push((await ok(p, 'search', { name, query: q, options: { k: 10 } })).hits);
    const file = await p.evaluate(async (name) => Array.from((await window.rvCall('export', { name })).value), name);
    const dir = join(ROOT, 'target', 'parity', BUILD);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, `${metric}-${index}.bin`), Buffer.from(file));
    out.databases.push({ metric, index, file: `${metric}-${index}.bin`, results, textResults });
    await ok(p, 'deleteDatabase', { name });
  }
  await writeFile(join(ROOT, 'target', 'parity', BUILD, 'ops.json'), JSON.stringify(out));
  await p.close();
});

test('a real quota: writes past it fail with QUOTA_EXCEEDED and the database keeps every acknowledged write', async () => {
  const p = await page();
  const cdp = await p.context().newCDPSession(p);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: env.server.url, quotaSize: 4 * 1024 * 1024 });
  const name = unique('quota');
  const dim = 64;
  await ok(p, 'open', { name, options: { dimensions: dim } });
  const r = await p.evaluate(async ([name, dim]) => {
    let acked = 0;
    let error = null;
    for (let round = 0; round < 400 && !error; round++) {
      const n = 100;
      const vectors = new Float32Array(n * dim).map((_, i) => Math.sin(round * 1000 + i) + 0.01);
      const ids = Array.from({ length: n }, (_, i) => `r${round}-${i}`);
      const res = await window.rvCall('insertPacked', { name, vectors, ids });
      if (res.ok) acked += n; else error = res.error;
    }
    const count = (await window.rvCall('count', { name })).value;
    return { acked, error, count };
  }, [name, dim]);
  assert.ok(r.error, 'the quota was never reached');
  assert.equal(r.error.code, 'QUOTA_EXCEEDED', JSON.stringify(r.error));
  assert.ok(r.acked > 0);
  assert.equal(r.count, r.acked, 'memory equals what was acknowledged');
  const stats = await ok(p, 'stats', { name });
  assert.ok(stats.persistence.failedTransactions >= 1);
  // stats() reports navigator.storage.estimate() (Chromium's estimate does not show the
  // DevTools override, but its usage is the bytes that filled it).
  assert.ok(stats.quota.quota > 0, JSON.stringify(stats.quota));
  assert.ok(stats.quota.usage >= 2 * 1024 * 1024, JSON.stringify(stats.quota));
  await ok(p, 'close', { name });
  const reopened = await ok(p, 'open', { name, options: {} });
  assert.equal(reopened.len, r.acked, 'storage holds exactly the acknowledged writes');
  const hit = await ok(p, 'get', { name, id: 'r0-5' });
  assert.equal(hit.id, 'r0-5');
  console.log(`quota: ${r.acked} vectors acknowledged before ${r.error.code}`);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: env.server.url });
  await ok(p, 'deleteDatabase', { name });
  await p.close();
});

test('checkpoints run while the worker is idle and fold the log', async () => {
  const p = await page();
  const name = unique('idle');
  await ok(p, 'open', { name, options: { dimensions: 4, checkpoint: { maxLogRecords: 5 } } });
  for (let i = 0; i < 12; i++) await ok(p, 'insert', { name, items: [{ id: `c${i}`, vector: [1, i, 2, 3] }] });
  await p.waitForTimeout(200);
  const s = await ok(p, 'stats', { name });
  assert.ok(s.storage.checkpoints >= 2, `checkpoints: ${s.storage.checkpoints}`);
  assert.ok(s.storage.logRecords < 5, `log records left: ${s.storage.logRecords}`);
  assert.ok(s.storage.foldedSeq >= 10, `folded up to ${s.storage.foldedSeq}`);
  await ok(p, 'close', { name });
  const again = await ok(p, 'open', { name, options: {} });
  assert.equal(again.len, 12);
  // The close may fold the rest of the log (when the page cache is not current yet): every
  // write is still there, folded or in the log.
  assert.equal(again.storage.seq, s.storage.seq);
  assert.ok(again.storage.foldedSeq >= s.storage.foldedSeq, `folded up to ${again.storage.foldedSeq}`);
  assert.equal(again.storage.foldedSeq + again.storage.logRecords, again.storage.seq);
  await ok(p, 'deleteDatabase', { name });
  await p.close();
});

test('another tab deleting the database: the holder is told (versionchange), closes, and the delete goes through', async () => {
  const context = await env.browser.newContext();
  const a = await page('', context);
  const b = await page('', context);
  const name = unique('vchange');
  await ok(a, 'open', { name, options: { dimensions: 2 } });
  await ok(a, 'insert', { name, items: [{ id: 'x', vector: [1, 2] }] });
  await ok(b, 'deleteDatabase', { name });
  await a.waitForFunction((name) => window.rvEvents.some((e) => e.event === 'versionchange' && e.name === name), name);
  const r = await call(a, 'count', { name });
  assert.equal(r.ok, false);
  assert.equal(r.error.code, 'CLOSED', JSON.stringify(r.error));
  assert.ok(!(await ok(b, 'databases', {})).includes(name), 'the database is gone');
  await context.close();
});
