// Text and hybrid search through the facade and <ruvector-db> in headless Chromium: texts in and
// out of every door, embedders on the page and in the worker (and each way one can fail), the
// recorded embedder checked at the next open, and a search box made of an element and an input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { suite, openPage, unique } from './harness.mjs';

const env = suite();
const page = () => openPage(env, '/playwright/fixtures/facade.html');
const WORDS = '/playwright/fixtures/embedders/words.js';

const NOTES = [
  { id: 'ssl', text: 'libssl3: Secure Sockets Layer toolkit, shared libraries' },
  { id: 'numpy', text: 'python3-numpy: fast array facility for Python 3' },
  { id: 'zstd', text: 'zstd: fast lossless compression algorithm, command line tool' },
  { id: 'openssl', text: 'openssl: Secure Sockets Layer toolkit, cryptographic utility' },
  { id: 'gzip', text: 'gzip: the GNU compression utility' },
];

test('texts go in and out of every method; search takes a vector, a string or both', async () => {
  const p = await page();
  const name = unique('text-facade');
  const r = await p.evaluate(async ([name, notes, words]) => {
    const { open } = window.rv;
    const { vectorOf } = await import(words);
    const db = await open(name, { dimensions: 16, text: true });
    await db.insert(notes.slice(0, 2).map((n) => ({ ...n, vector: vectorOf(n.text), metadata: { n: n.id.length } })));
    const rest = notes.slice(2);
    const vectors = new Float32Array(rest.length * 16);
    rest.forEach((n, i) => vectors.set(vectorOf(n.text), i * 16));
    await db.insertMany({ vectors, ids: rest.map((n) => n.id), texts: rest.map((n) => n.text) }, { chunk: 2 });
    const out = {};
    const ids = (hits) => hits.map((h) => h.id);
    const text = await db.search('secure sockets', { k: 3, includeText: true });
    out.text = ids(text);
    out.textHit = { distance: 'distance' in text[0], scores: text[0].scores, score: text[0].score, text: text[0].text };
    out.vector = await db.search(vectorOf(notes[2].text), { k: 1 });
    out.hybrid = await db.search({ vector: vectorOf('compression utility'), text: 'compression' }, { k: 2 });
    out.weighted = ids(await db.search({ vector: vectorOf('compression'), text: 'gzip' }, { k: 2, fusion: { method: 'weighted', text: 0.9, vector: 0.1 } }));
    out.textMode = ids(await db.search({ vector: vectorOf('python'), text: 'compression' }, { k: 5, mode: 'text' }));
    out.filtered = ids(await db.search('toolkit', { k: 5, filter: { n: 3 } }));
    out.many = (await db.searchMany(['secure', 'compression'], { k: 1 })).map(ids);
    await db.upsert('gzip', { text: 'gzip: renamed utility' });
    out.afterUpsert = ids(await db.search('compression', { k: 5 }));
    await db.upsert('zstd', { text: null });
    out.afterClear = ids(await db.search('compression', { k: 5 }));
    out.got = (await db.get('numpy')).text;
    const stats = await db.stats();
    out.stats = { text: stats.text, memory: stats.memory.text > 0, embedder: stats.embedder };
    await db.close();
    const again = await open(name);
    out.reopened = ids(await again.search('secure sockets', { k: 3 }));
    await again.destroy();
    return out;
  }, [name, NOTES, WORDS]);
  assert.deepEqual(r.text, ['ssl', 'openssl']);
  assert.equal(r.textHit.distance, false, 'a text hit has no distance');
  assert.equal(r.textHit.scores.text, r.textHit.score);
  assert.equal(r.textHit.scores.vector, undefined);
  assert.equal(r.textHit.text, NOTES[0].text);
  assert.equal(r.vector[0].id, 'zstd');
  assert.ok(typeof r.vector[0].distance === 'number' && r.vector[0].scores.vector === r.vector[0].score);
  assert.deepEqual(r.hybrid.map((h) => h.id), ['gzip', 'zstd']);
  assert.ok(r.hybrid.every((h) => typeof h.distance === 'number' && h.scores.text > 0 && h.scores.vector !== undefined));
  assert.equal(r.weighted[0], 'gzip');
  assert.deepEqual(r.textMode.sort(), ['gzip', 'zstd']);
  assert.deepEqual(r.filtered, ['ssl'], 'the filter applies to text search');
  assert.deepEqual(r.many, [['ssl'], ['gzip']]);
  assert.deepEqual(r.afterUpsert, ['zstd']);
  assert.deepEqual(r.afterClear, []);
  assert.equal(r.got, NOTES[1].text);
  assert.deepEqual(r.stats.text, { records: 4, terms: r.stats.text.terms, postings: r.stats.text.postings });
  assert.ok(r.stats.memory);
  assert.equal(r.stats.embedder, null);
  assert.deepEqual(r.reopened, ['ssl', 'openssl']);
  await p.close();
});

for (const where of ['page', 'worker']) {
  test(`an embedder on the ${where} embeds inserts and queries; its name is checked at the next open`, async () => {
    const p = await page();
    const name = unique(`embed-${where}`);
    const r = await p.evaluate(async ([name, notes, words, where]) => {
      const { open } = window.rv;
      const module = await import(words);
      const embedder = where === 'page' ? { name: 'words', dimensions: 16, embed: module.embed } : new URL(words, location.href);
      // A plain function on the page works too: its dimension is its answer's.
      const fnDb = await open(`${name}-fn`, { dimensions: 16, text: true, embedder: (texts) => module.embed(texts) });
      await fnDb.insert({ id: 'f', text: 'a plain function' });
      const fnStats = (await fnDb.stats()).embedder;
      await fnDb.destroy();
      const callsBefore = module.calls;
      const db = await open(name, { dimensions: 16, text: true, embedder });
      const out = {};
      await db.insert(notes.slice(0, 2));
      // Texts alone: embedded a chunk at a time, progress after each.
      const progress = [];
      const many = await db.insertMany(notes.slice(2), { chunk: 2, onProgress: ({ committed, total }) => progress.push([committed, total]) });
      out.progress = progress;
      out.manyResult = [many.committed, many.total, many.aborted, many.ids];
      await db.upsert('late', { text: 'late arrival about compression' });
      const got = await db.get('zstd');
      out.vectorMatches = Array.from(got.vector).every((x, i) => Math.abs(x - module.vectorOf(notes[2].text)[i]) < 1e-6);
      const hybrid = await db.search('compression utility', { k: 3 });
      out.hybrid = hybrid.map((h) => h.id);
      out.bothScores = hybrid.every((h) => h.scores.vector !== undefined && typeof h.distance === 'number');
      out.textOnly = (await db.search('compression utility', { k: 3, mode: 'text' })).every((h) => h.distance === undefined);
      out.many = (await db.searchMany(['secure sockets', 'python'], { k: 1 })).map((l) => l.map((h) => h.id));
      out.pageCalls = module.calls - callsBefore;
      out.stats = (await db.stats()).embedder;
      out.fnStats = fnStats;
      await db.close();
      out.other = await open(name, { embedder: { name: 'other', dimensions: 16, embed: module.embed } }).then(
        () => null,
        (e) => e.code,
      );
      out.wrongDims = await open(name, { embedder: { name: 'words', dimensions: 8, embed: module.embed } }).then(
        () => null,
        (e) => e.code,
      );
      // Without an embedder: text search still works, a text without a vector does not.
      const plain = await open(name);
      out.plainText = (await plain.search('compression', { k: 5 })).map((h) => h.id).sort();
      out.noEmbedder = await plain.insert({ id: 'x', text: 'no vector' }).then(
        () => null,
        (e) => [e.code, e.message],
      );
      out.count = await plain.count();
      await plain.destroy();
      return out;
    }, [name, NOTES, WORDS, where]);
    assert.equal(r.vectorMatches, true, 'the stored vector is the embedder\'s');
    assert.deepEqual(r.progress, [[2, 3], [3, 3]], 'texts embedded and committed a chunk at a time');
    assert.deepEqual(r.manyResult, [3, 3, false, ['zstd', 'openssl', 'gzip']]);
    assert.equal(r.hybrid[0], 'gzip');
    assert.equal(r.bothScores, true);
    assert.equal(r.textOnly, true);
    assert.deepEqual(r.many, [['ssl'], ['numpy']]);
    // The page's copy of the module ran only when the embedder lives on the page.
    assert.equal(r.pageCalls > 0, where === 'page', `page calls: ${r.pageCalls}`);
    assert.equal(r.stats.name, 'words');
    assert.equal(r.stats.dimensions, 16);
    assert.equal(r.stats.inWorker, where === 'worker');
    assert.deepEqual(r.fnStats, { name: 'page', dimensions: 16, inWorker: false });
    assert.equal(r.other, 'CONFIG_MISMATCH');
    assert.equal(r.wrongDims, 'INVALID_CONFIG');
    assert.deepEqual(r.plainText, ['gzip', 'late', 'zstd']);
    assert.equal(r.noEmbedder[0], 'NO_EMBEDDER');
    assert.match(r.noEmbedder[1], /embedder/);
    assert.equal(r.count, 6);
    await p.close();
  });
}

test('an embedder that throws, hangs, or answers wrongly fails with EMBEDDER_FAILED and writes nothing', async () => {
  const p = await page();
  const r = await p.evaluate(async ([words, base]) => {
    const { open } = window.rv;
    const out = {};
    for (const fail of ['throw', 'hang', 'dims', 'nan', 'count']) {
      for (const where of ['page', 'worker']) {
        const url = new URL(`${words}?fail=${fail}`, location.href);
        const module = await import(url.href);
        const embedder = where === 'page' ? { name: 'words', dimensions: 16, embed: module.embed } : url;
        const name = `${base}-${fail}-${where}`;
        const db = await open(name, { dimensions: 16, text: true, embedder, embedTimeoutMs: 300 });
        const insert = await db.insert([{ id: 'a', text: 'one' }, { id: 'b', text: 'two' }]).then(() => null, (e) => e.code);
        const search = await db.search('one').then(() => null, (e) => e.code);
        out[`${fail}/${where}`] = { insert, search, count: await db.count() };
        await db.destroy();
      }
    }
    const nodims = await open(`${base}-nodims`, { dimensions: 16, embedder: new URL(`${words}?fail=nodims`, location.href) }).then(() => null, (e) => e.code);
    const missing = await open(`${base}-missing`, { dimensions: 16, embedder: new URL('/nowhere/embedder.js', location.href) }).then(() => null, (e) => e.code);
    return { out, nodims, missing };
  }, [WORDS, unique('embed-fail')]);
  for (const [k, v] of Object.entries(r.out)) {
    assert.deepEqual(v, { insert: 'EMBEDDER_FAILED', search: 'EMBEDDER_FAILED', count: 0 }, k);
  }
  assert.equal(r.nodims, 'INVALID_CONFIG');
  assert.equal(r.missing, 'EMBEDDER_FAILED');
  await p.close();
});

test('bad text input is a typed error naming the field', async () => {
  const p = await page();
  const name = unique('text-bad');
  const r = await p.evaluate(async (name) => {
    const { open } = window.rv;
    const db = await open(name, { dimensions: 2 });
    const code = (q) => q.then(() => null, (e) => [e.code, e.message]);
    const out = {
      noIndex: await code(db.insert({ id: 'a', vector: [1, 0], text: 'hello' })),
      noIndexSearch: await code(db.search('hello')),
    };
    await db.close();
    const t = await open(name, { text: true });
    Object.assign(out, {
      notString: await code(t.insert({ id: 'a', vector: [1, 0], text: 42 })),
      tooLong: await code(t.insert({ id: 'a', vector: [1, 0], text: 'x'.repeat(300_000) })),
      mode: await code(t.search('hello', { mode: 'fuzzy' })),
      fusion: await code(t.search('hello', { fusion: { method: 'borda' } })),
      noVector: await code(t.insert({ id: 'b', text: 'no vector, no embedder' })),
      zeroTimeout: await code(open(`${name}-zero`, { dimensions: 2, embedTimeoutMs: 0 })),
      count: await t.count(),
    });
    await t.destroy();
    return out;
  }, name);
  assert.equal(r.noIndex[0], 'NO_TEXT_INDEX');
  assert.equal(r.noIndexSearch[0], 'NO_TEXT_INDEX');
  assert.deepEqual([r.notString[0], /items\[0\]\.text/.test(r.notString[1])], ['BAD_ARGUMENT', true]);
  assert.equal(r.tooLong[0], 'TOO_LARGE');
  assert.deepEqual([r.mode[0], /options\.mode/.test(r.mode[1])], ['BAD_ARGUMENT', true]);
  assert.deepEqual([r.fusion[0], /options\.fusion\.method/.test(r.fusion[1])], ['BAD_ARGUMENT', true]);
  assert.equal(r.noVector[0], 'NO_EMBEDDER');
  assert.deepEqual([r.zeroTimeout[0], /options\.embedTimeoutMs/.test(r.zeroTimeout[1])], ['INVALID_CONFIG', true]);
  assert.equal(r.count, 0);
  await p.close();
});

test('<ruvector-db search-input> makes an input a search box: debounced, latest results only', async () => {
  const p = await page();
  const name = unique('search-box');
  const r = await p.evaluate(async ([name, notes, words]) => {
    const input = document.createElement('input');
    input.id = `q-${name}`;
    document.body.append(input);
    const el = document.createElement('ruvector-db');
    el.setAttribute('name', name);
    el.setAttribute('dimensions', '16');
    el.setAttribute('text', '');
    el.setAttribute('embedder', words);
    el.setAttribute('search-input', input.id);
    el.setAttribute('debounce', '50');
    el.setAttribute('k', '2');
    const results = [];
    el.addEventListener('results', (e) => results.push(e.detail));
    document.body.append(el);
    await el.ready;
    await el.insert(notes);
    const type = (value) => {
      input.value = value;
      input.dispatchEvent(new Event('input', { bubbles: true }));
    };
    // Typed quickly: one search, for the last value.
    type('sec');
    type('secure soc');
    type('secure sockets');
    await new Promise((ok) => el.addEventListener('results', ok, { once: true }));
    const first = results.slice();
    type('python');
    await new Promise((ok) => el.addEventListener('results', ok, { once: true }));
    const byMethod = (await el.search('compression', { k: 1, mode: 'text' })).map((h) => h.id);
    const stats = await el.stats();
    el.remove();
    input.remove();
    return { first, last: results.at(-1), count: results.length, byMethod, embedder: stats.embedder, text: stats.text.records };
  }, [name, NOTES, new URL(WORDS, 'http://x').pathname]);
  assert.equal(r.first.length, 1, 'debounced: one search for three inputs');
  assert.equal(r.first[0].query, 'secure sockets');
  assert.deepEqual(r.first[0].hits.map((h) => h.id), ['ssl', 'openssl']);
  assert.equal(r.first[0].hits[0].text, NOTES[0].text, 'hits carry their text to render');
  assert.equal(r.last.query, 'python');
  assert.equal(r.last.hits[0].id, 'numpy');
  assert.equal(r.count, 2);
  assert.deepEqual(r.byMethod, ['gzip'], 'the shorter record holding the term');
  assert.equal(r.embedder.inWorker, true);
  assert.equal(r.text, 5);
  await p.evaluate((n) => window.rv.deleteDatabase(n), name);
  await p.close();
});

test('ruvector-web/embedders/transformers embeds in the worker with the demo\'s all-MiniLM-L6-v2', { timeout: 180_000 }, async () => {
  const p = await page();
  const name = unique('transformers');
  const r = await p.evaluate(async (name) => {
    const { open } = window.rv;
    const url = new URL('/web/embedders/transformers.js', location.href);
    url.search = new URLSearchParams({
      model: 'all-minilm-l6-v2',
      localModelPath: '/demo/models/',
      transformers: '/demo/vendor/transformers.min.js',
      wasmPaths: JSON.stringify({ mjs: '/demo/vendor/ort/ort-wasm-simd-threaded.asyncify.mjs', wasm: '/demo/vendor/ort/ort-wasm-simd-threaded.asyncify.wasm' }),
    }).toString();
    const db = await open(name, { dimensions: 384, text: true, embedder: url });
    await db.insert([
      { id: 'links2', text: 'links2: Web browser running in both graphics and text mode' },
      { id: 'gzip', text: 'gzip: GNU compression utility' },
      { id: 'chess', text: 'gnuchess: Plays a game of chess, either against the user or against itself' },
    ]);
    const v = (await db.get('links2')).vector;
    // Shares no word with its answer: found by the embedded query alone.
    const byMeaning = await db.search('checkmate the king', { k: 3, mode: 'vector' });
    const stats = await db.stats();
    await db.destroy();
    return { norm: Math.hypot(...v), len: v.length, top: byMeaning.map((h) => h.id), scores: byMeaning[0].scores, embedder: stats.embedder };
  }, name);
  assert.equal(r.len, 384);
  assert.ok(Math.abs(r.norm - 1) < 1e-3, `unit length: ${r.norm}`);
  assert.equal(r.top[0], 'chess', `a query sharing no word with its answer: ${r.top}`);
  assert.ok(r.scores.vector > 0.1 && r.scores.text === undefined, JSON.stringify(r.scores));
  assert.deepEqual(r.embedder, { name: 'transformers:all-minilm-l6-v2', dimensions: 384, inWorker: true });
  await p.close();
});
