// ruvector-web/compat, the drop-in for `@ruvector/wasm` 0.1.x: its documented calls exist
// with the same arity (checked against the ancestor's published .d.ts), and they work in a
// page and in a user's own worker: HNSW, metadata, save, reload, load, and the same results
// as the worker facade on the same data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT } from './server.mjs';
import { suite, openPage, unique } from './harness.mjs';

const env = suite();
const page = () => openPage(env, '/playwright/fixtures/compat.html');

// `name(a, b?, c?)` → 3: parameters as the .d.ts declares them.
const arity = (params) => params.split(',').map((p) => p.trim()).filter(Boolean).length;

test("every call of the ancestor's .d.ts exists in compat with the same arity", async () => {
  const dts = await readFile(join(ROOT, 'node_modules', '@ruvector', 'wasm', 'pkg', 'ruvector_wasm.d.ts'), 'utf8');
  const ours = await import(join(ROOT, 'web', 'compat.js'));
  const checked = [];
  for (const [, name, params] of dts.matchAll(/^export function (\w+)\(([^)]*)\)/gm)) {
    assert.equal(typeof ours[name], 'function', `compat exports ${name}`);
    assert.equal(ours[name].length, arity(params), `${name}: arity`);
    checked.push(name);
  }
  assert.equal(typeof ours.default, 'function', 'the default export initialises, as the ancestor\'s');
  const body = dts.match(/export class VectorDB \{([\s\S]*?)\n\}/)[1];
  for (const [, isStatic, name, params] of body.matchAll(/^\s+(static )?(\w+)\(([^)]*)\)/gm)) {
    if (name === 'constructor') {
      assert.equal(ours.VectorDB.length, arity(params), 'new VectorDB(...): arity');
    } else {
      const f = isStatic ? ours.VectorDB[name] : ours.VectorDB.prototype[name];
      assert.equal(typeof f, 'function', `VectorDB${isStatic ? '.' : '#'}${name}`);
      assert.equal(f.length, arity(params), `VectorDB ${name}: arity`);
    }
    checked.push(`VectorDB.${name}`);
  }
  for (const [, name] of body.matchAll(/^\s+readonly (\w+):/gm)) {
    assert.ok(Object.getOwnPropertyDescriptor(ours.VectorDB.prototype, name)?.get, `VectorDB getter ${name}`);
    checked.push(`VectorDB.${name}`);
  }
  assert.equal(typeof ours.JsVectorEntry, 'function');
  console.log(`# ${checked.length} ancestor calls checked: ${checked.join(', ')}`);
  assert.ok(checked.length >= 15, 'the .d.ts was read');
});

test('compat in a page: every method, HNSW, save, reload, load, same results as the facade', async () => {
  const p = await page();
  const name = unique('compat');
  const first = await p.evaluate(async (name) => {
    const { VectorDB, JsVectorEntry, detectSIMD, version, benchmark, arrayToFloat32Array, init } = window.compat;
    let early = null;
    try {
      new VectorDB(4);
    } catch (e) {
      early = e.message;
    }
    await window.compatInit();
    init();
    const db = new VectorDB(4, 'euclidean', true);
    const out = { early, simd: detectSIMD(), version: version(), dimensions: db.dimensions, emptyAtFirst: db.isEmpty() };
    out.id = db.insert(new Float32Array([1, 0, 0, 0]), 'a', { tag: 'x' });
    out.generated = db.insert(arrayToFloat32Array([0, 1, 0, 0]));
    out.batch = db.insertBatch([
      { vector: new Float32Array([0, 0, 1, 0]), id: 'c', metadata: { tag: 'y' } },
      new JsVectorEntry(new Float32Array([0, 0, 0, 1]), 'd'),
      { vector: new Float32Array([1, 1, 0, 0]) },
    ]);
    const hits = db.search(new Float32Array([1, 0.1, 0, 0]), 2);
    out.hits = hits.map((h) => ({ id: h.id, score: h.score, meta: h.metadata, vec: Array.from(h.vector) }));
    hits[0].free();
    out.filtered = db.search(new Float32Array([1, 0, 0, 0]), 5, { tag: 'y' }).map((h) => h.id);
    const e = db.get('a');
    out.got = { id: e.id, vector: Array.from(e.vector), metadata: e.metadata };
    out.missing = db.get('nope');
    out.deleted = db.delete('d');
    out.deletedAgain = db.delete('d');
    out.len = db.len();
    out.bench = benchmark('insert', 200, 16);
    out.benchSearch = benchmark('search', 50, 16);
    out.saved = await db.saveToIndexedDB(name);
    db.free();
    // The worker facade opens what compat saved, with the same results.
    const fdb = await window.rv.open(name);
    out.facade = (await fdb.search([1, 0.1, 0, 0], { k: 2 })).map((h) => ({ id: h.id, score: h.score }));
    out.index = (await fdb.stats()).index;
    await fdb.close();
    const flat = new VectorDB(4, 'euclidean', false);
    flat.insert(new Float32Array([1, 2, 3, 4]), 'f');
    await flat.saveToIndexedDB(`${name}-flat`);
    const ffdb = await window.rv.open(`${name}-flat`);
    out.flatIndex = (await ffdb.stats()).index;
    await ffdb.destroy();
    return out;
  }, name);
  assert.match(first.early, /init/);
  assert.equal(first.simd, true);
  assert.equal(typeof first.version, 'string');
  assert.equal(first.dimensions, 4);
  assert.equal(first.emptyAtFirst, true);
  assert.equal(first.id, 'a');
  assert.equal(typeof first.generated, 'string');
  assert.equal(first.batch.length, 3);
  assert.equal(first.batch[0], 'c');
  assert.equal(first.hits[0].id, 'a');
  assert.deepEqual(first.hits[0].meta, { tag: 'x' }, 'metadata round-trips');
  assert.deepEqual(first.hits[0].vec, [1, 0, 0, 0]);
  assert.ok(first.hits[0].score > first.hits[1].score, 'higher score is better');
  assert.deepEqual(first.filtered, ['c']);
  assert.deepEqual(first.got, { id: 'a', vector: [1, 0, 0, 0], metadata: { tag: 'x' } });
  assert.equal(first.missing, undefined);
  assert.deepEqual([first.deleted, first.deletedAgain, first.len], [true, false, 4]);
  assert.ok(first.bench > 0 && first.benchSearch > 0);
  assert.deepEqual(first.saved, { name, count: 4 });
  assert.deepEqual(first.facade, first.hits.map((h) => ({ id: h.id, score: h.score })));
  assert.equal(first.index, 'hnsw', 'useHnsw = true builds HNSW');
  assert.equal(first.flatIndex, 'flat', 'useHnsw = false is a flat index');

  // A reload, then load: the same vectors, metadata and results; saving again replaces.
  await p.reload();
  await p.waitForFunction(() => window.rvReady === true);
  const second = await p.evaluate(async (name) => {
    const { VectorDB } = window.compat;
    await window.compatInit();
    const db = await VectorDB.loadFromIndexedDB(name);
    const out = {
      len: db.len(),
      dims: db.dimensions,
      hits: db.search(new Float32Array([1, 0.1, 0, 0]), 2).map((h) => ({ id: h.id, score: h.score })),
      meta: db.get('c').metadata,
    };
    db.delete('c');
    await db.saveToIndexedDB(name);
    out.afterResave = (await VectorDB.loadFromIndexedDB(name)).len();
    try {
      await VectorDB.loadFromIndexedDB(`${name}-never-saved`);
    } catch (e) {
      out.missing = e.code;
    }
    out.listed = (await window.rv.databases()).includes(`${name}-never-saved`);
    await window.rv.deleteDatabase(name);
    return out;
  }, name);
  assert.equal(second.len, 4);
  assert.equal(second.dims, 4);
  assert.deepEqual(second.hits, first.hits.map((h) => ({ id: h.id, score: h.score })));
  assert.deepEqual(second.meta, { tag: 'y' });
  assert.equal(second.afterResave, 3);
  assert.equal(second.missing, 'NOT_FOUND');
  assert.equal(second.listed, false, 'loading a missing name creates nothing');
  await p.close();
});

test("compat in a user's own worker: create, insert, search, save, load", async () => {
  const p = await page();
  const name = unique('compat-worker');
  const r = await p.evaluate(async (name) => {
    const w = new Worker(new URL('/playwright/fixtures/compat-worker.js', location.href), { type: 'module' });
    await new Promise((ok) => w.addEventListener('message', (e) => e.data.ready && ok(), { once: true }));
    let n = 0;
    const call = (op, ...args) => new Promise((ok, bad) => {
      const id = ++n;
      w.addEventListener('message', function on(e) {
        if (e.data.id !== id) return;
        w.removeEventListener('message', on);
        e.data.ok ? ok(e.data.value) : bad(e.data.error);
      });
      w.postMessage({ id, op, args });
    });
    const out = {};
    out.simd = await call('create', 3, 'cosine', true);
    const rows = Array.from({ length: 200 }, (_, i) => ({ id: `w${i}`, vector: [Math.cos(i), Math.sin(i), (i % 7) / 7 + 0.1], metadata: { odd: i % 2 === 1 } }));
    out.ids = (await call('insertBatch', rows)).length;
    out.len = await call('len');
    out.hits = await call('search', [1, 0, 0.1], 5);
    out.oddOnly = (await call('search', [1, 0, 0.1], 5, { odd: true })).every((h) => h.metadata.odd);
    out.saved = await call('saveToIndexedDB', name);
    out.loaded = await call('load', name);
    out.hitsAfterLoad = await call('search', [1, 0, 0.1], 5);
    w.terminate();
    await window.rv.deleteDatabase(name);
    return out;
  }, name);
  assert.equal(r.simd, true);
  assert.equal(r.ids, 200);
  assert.equal(r.len, 200);
  assert.equal(r.hits.length, 5);
  assert.equal(r.oddOnly, true);
  assert.deepEqual(r.saved, { name, count: 200 });
  assert.equal(r.loaded, 200);
  assert.deepEqual(r.hitsAfterLoad, r.hits);
  await p.close();
});

test('saveToIndexedDB over a database a facade holds open: the facade reloads it, and its next write lands on the saved contents', async () => {
  const p = await page();
  const name = unique('compat-over');
  const r = await p.evaluate(async (name) => {
    const { VectorDB } = window.compat;
    await window.compatInit();
    const db = await window.rv.open(name, { dimensions: 4, metric: 'cosine' });
    await db.insert([{ id: 'a', vector: [1, 0, 0, 0] }, { id: 'b', vector: [0, 1, 0, 0] }]);
    // A facade that never hears of the save fails the test instead of hanging it.
    const changed = new Promise((resolve) => {
      db.addEventListener('change', (e) => resolve(e.detail), { once: true });
      setTimeout(() => resolve({ origin: 'none within 10 s' }), 10_000);
    });
    const v = new VectorDB(4, 'cosine', true);
    for (const [id, x] of [['c', [0, 0, 1, 0]], ['d', [0, 0, 1, 1]], ['e', [1, 0, 1, 0]]]) v.insert(new Float32Array(x), id, { from: 'compat' });
    let empty = null;
    try {
      await v.saveToIndexedDB('');
    } catch (e) {
      empty = e.code;
    }
    await v.saveToIndexedDB(name);
    const detail = await changed;
    const after = { count: await db.count(), a: await db.get('a'), c: (await db.get('c'))?.metadata };
    await db.insert({ id: 'f', vector: [0, 0, 0, 1] });
    await db.close();
    const again = await window.rv.open(name);
    const reopened = { count: await again.count(), ids: (await again.search([0, 0, 1, 0.5], { k: 10 })).map((h) => h.id).sort() };
    await again.close();
    return { empty, detail, after, reopened };
  }, name);
  assert.equal(r.empty, 'BAD_ARGUMENT', 'an empty name is refused');
  assert.equal(r.detail.origin, 'remote', 'the facade heard of the save');
  assert.deepEqual(r.after, { count: 3, a: null, c: { from: 'compat' } }, 'the facade shows the saved contents');
  assert.deepEqual(r.reopened, { count: 4, ids: ['c', 'd', 'e', 'f'] }, 'its next write went on top of them, and both stay');
});
