// Hostile input over the protocol (issue #7), table-driven, through the real worker: every
// message below must get an error reply with the expected code, the worker must stay alive,
// and the database must be unchanged (count, sequence number, answers). The limits are the
// documented constants (docs/protocol.md, "Limits").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { suite, unique } from './harness.mjs';

const env = suite();
const SCALAR = process.env.RUVECTOR_BUILD === 'scalar';

// Each case: [label, message builder (runs in the page, gets the database name), code].
// Builders are strings so that they can make what JSON cannot carry (cycles, NaN, BigInt,
// typed arrays) inside the page.
const CASES = [
  ['unknown op', `(n) => ({ op: 'drop', args: { name: n } })`, 'UNKNOWN_OP'],
  ['op not a string', `(n) => ({ op: 5, args: {} })`, 'BAD_MESSAGE'],
  ['older protocol', `(n) => ({ v: 1, op: 'count', args: { name: n } })`, 'PROTOCOL_VERSION'],
  ['newer protocol', `(n) => ({ v: 3, op: 'count', args: { name: n } })`, 'PROTOCOL_VERSION'],
  ['args not an object', `(n) => ({ op: 'search', args: 5 })`, 'BAD_ARGUMENT'],
  ['name not a string', `(n) => ({ op: 'count', args: { name: 7 } })`, 'BAD_ARGUMENT'],
  ['database not open', `(n) => ({ op: 'count', args: { name: n + '-nope' } })`, 'NOT_OPEN'],
  // A string is a text query; this database has no text index.
  ['vector a string', `(n) => ({ op: 'search', args: { name: n, vector: 'abcd' } })`, 'NO_TEXT_INDEX'],
  ['query text not a string', `(n) => ({ op: 'search', args: { name: n, query: { text: 5 } } })`, 'BAD_ARGUMENT'],
  ['mode unknown', `(n) => ({ op: 'search', args: { name: n, query: [1, 2, 3, 4], options: { mode: 'fuzzy' } } })`, 'BAD_ARGUMENT'],
  ['texts not an array', `(n) => ({ op: 'insertMany', args: { name: n, texts: 'abc' } })`, 'BAD_ARGUMENT'],
  ['texts without an embedder', `(n) => ({ op: 'insertMany', args: { name: n, texts: ['abc'] } })`, 'NO_EMBEDDER'],
  ['texts of the wrong length', `(n) => ({ op: 'insertMany', args: { name: n, vectors: new Float32Array(8), texts: ['a'] } })`, 'BAD_ARGUMENT'],
  ['vector with a string in it', `(n) => ({ op: 'search', args: { name: n, vector: [1, 'x', 3, 4] } })`, 'BAD_ARGUMENT'],
  ['vector too short', `(n) => ({ op: 'search', args: { name: n, vector: [1, 2] } })`, 'DIMENSION_MISMATCH'],
  ['vector of a million values', `(n) => ({ op: 'search', args: { name: n, vector: new Float32Array(1e6) } })`, 'DIMENSION_MISMATCH'],
  ['vector with NaN', `(n) => ({ op: 'search', args: { name: n, vector: [1, NaN, 3, 4] } })`, 'NON_FINITE'],
  ['huge k', `(n) => ({ op: 'search', args: { name: n, vector: [1, 2, 3, 4], options: { k: 1e9 } } })`, 'INVALID_K'],
  ['k zero', `(n) => ({ op: 'search', args: { name: n, vector: [1, 2, 3, 4], options: { k: 0 } } })`, 'INVALID_K'],
  ['negative k', `(n) => ({ op: 'search', args: { name: n, vector: [1, 2, 3, 4], options: { k: -1 } } })`, 'BAD_ARGUMENT'],
  ['k a string', `(n) => ({ op: 'search', args: { name: n, vector: [1, 2, 3, 4], options: { k: 'ten' } } })`, 'BAD_ARGUMENT'],
  ['negative ef', `(n) => ({ op: 'search', args: { name: n, vector: [1, 2, 3, 4], options: { ef: -5 } } })`, 'BAD_ARGUMENT'],
  ['huge ef', `(n) => ({ op: 'search', args: { name: n, vector: [1, 2, 3, 4], options: { ef: 1e9 } } })`, 'INVALID_EF'],
  ['k Infinity (JSON would make it null: the default)', `(n) => ({ op: 'search', args: { name: n, vector: [1, 2, 3, 4], options: { k: Infinity } } })`, 'BAD_ARGUMENT', /options\.k: expected a whole number/],
  ['searchMany of a ragged batch', `(n) => ({ op: 'searchMany', args: { name: n, vectors: new Float32Array(6) } })`, 'DIMENSION_MISMATCH'],
  ['searchMany of an array', `(n) => ({ op: 'searchMany', args: { name: n, vectors: [1, 2, 3, 4] } })`, 'BAD_ARGUMENT'],
  ['searchMany of 10,001 queries', `(n) => ({ op: 'searchMany', args: { name: n, vectors: new Float32Array(40004) } })`, 'TOO_LARGE'],
  ['searchMany with 2 queries of k = 2^31 (n·k wraps to 0 in 32 bits)', `(n) => ({ op: 'searchMany', args: { name: n, vectors: new Float32Array([1, 2, 3, 4, 4, 3, 2, 1]), options: { k: 2147483648 } } })`, 'TOO_LARGE'],
  ['searchMany past a million hits', `(n) => ({ op: 'searchMany', args: { name: n, vectors: new Float32Array(4000), options: { k: 1001 } } })`, 'TOO_LARGE'],
  ['searchMany with NaN', `(n) => ({ op: 'searchMany', args: { name: n, vectors: new Float32Array([1, 2, 3, 4, 1, NaN, 3, 4]) } })`, 'NON_FINITE'],
  ['filter comparing with NaN', `(n) => ({ op: 'search', args: { name: n, vector: [1, 2, 3, 4], options: { filter: { score: { $gt: NaN } } } } })`, 'BAD_ARGUMENT', /options\.filter: `\$gt` is NaN or infinite/],
  ['misspelt option', `(n) => ({ op: 'search', args: { name: n, vector: [1, 2, 3, 4], options: { topK: 3 } } })`, 'BAD_ARGUMENT'],
  ['filter with an unknown operator', `(n) => ({ op: 'search', args: { name: n, vector: [1, 2, 3, 4], options: { filter: { a: { $where: 'x' } } } } })`, 'INVALID_FILTER'],
  ['filter 40 levels deep', `(n) => { let f = { a: 1 }; for (let i = 0; i < 40; i++) f = { $not: f }; return { op: 'search', args: { name: n, vector: [1, 2, 3, 4], options: { filter: f } } }; }`, 'INVALID_FILTER'],
  ['filter 1,000 levels deep', `(n) => { let f = { a: 1 }; for (let i = 0; i < 1000; i++) f = { $not: f }; return { op: 'search', args: { name: n, vector: [1, 2, 3, 4], options: { filter: f } } }; }`, 'BAD_ARGUMENT'],
  ['filter of 2 MB', `(n) => ({ op: 'search', args: { name: n, vector: [1, 2, 3, 4], options: { filter: { a: { $in: Array.from({ length: 200000 }, (_, i) => 'id-' + i) } } } } })`, 'TOO_LARGE'],
  ['cyclic options', `(n) => { const o = { k: 3 }; o.self = o; return { op: 'search', args: { name: n, vector: [1, 2, 3, 4], options: o } }; }`, 'BAD_ARGUMENT'],
  ['items not an array', `(n) => ({ op: 'insert', args: { name: n, items: { vector: [1, 2, 3, 4] } } })`, 'BAD_ARGUMENT'],
  ['item not an object', `(n) => ({ op: 'insert', args: { name: n, items: [5] } })`, 'BAD_ARGUMENT'],
  ['inserted vector too long', `(n) => ({ op: 'insert', args: { name: n, items: [{ vector: [1, 2, 3, 4, 5] }] } })`, 'DIMENSION_MISMATCH'],
  ['inserted NaN', `(n) => ({ op: 'insert', args: { name: n, items: [{ vector: [1, NaN, 3, 4] }] } })`, 'NON_FINITE'],
  ['inserted Infinity', `(n) => ({ op: 'insert', args: { name: n, items: [{ vector: new Float32Array([1, Infinity, 3, 4]) }] } })`, 'NON_FINITE'],
  ['zero vector under cosine', `(n) => ({ op: 'insert', args: { name: n, items: [{ vector: [0, 0, 0, 0] }] } })`, 'ZERO_VECTOR'],
  ['id a number', `(n) => ({ op: 'insert', args: { name: n, items: [{ id: 5, vector: [1, 2, 3, 4] }] } })`, 'BAD_ARGUMENT'],
  ['id of 600 bytes', `(n) => ({ op: 'insert', args: { name: n, items: [{ id: 'x'.repeat(600), vector: [1, 2, 3, 4] }] } })`, 'INVALID_ID'],
  ['id already there', `(n) => ({ op: 'insert', args: { name: n, items: [{ id: 'k0', vector: [1, 2, 3, 4] }] } })`, 'DUPLICATE_ID'],
  ['one bad item in a batch', `(n) => ({ op: 'insert', args: { name: n, items: [{ id: 'fresh', vector: [1, 2, 3, 4] }, { vector: [1, 2] }] } })`, 'DIMENSION_MISMATCH'],
  ['metadata a string', `(n) => ({ op: 'insert', args: { name: n, items: [{ vector: [1, 2, 3, 4], metadata: 'tag' }] } })`, 'INVALID_METADATA'],
  ['metadata 40 levels deep', `(n) => { let m = { a: 1 }; for (let i = 0; i < 40; i++) m = { a: m }; return { op: 'insert', args: { name: n, items: [{ vector: [1, 2, 3, 4], metadata: m }] } }; }`, 'INVALID_METADATA'],
  ['metadata 1,000 levels deep', `(n) => { let m = { a: 1 }; for (let i = 0; i < 1000; i++) m = { a: m }; return { op: 'insert', args: { name: n, items: [{ vector: [1, 2, 3, 4], metadata: m }] } }; }`, 'INVALID_METADATA'],
  ['metadata of 100 KB', `(n) => ({ op: 'insert', args: { name: n, items: [{ vector: [1, 2, 3, 4], metadata: { s: 'x'.repeat(100000) } }] } })`, 'TOO_LARGE'],
  ['metadata with Infinity', `(n) => ({ op: 'insert', args: { name: n, items: [{ vector: [1, 2, 3, 4], metadata: { score: -Infinity } }] } })`, 'INVALID_METADATA'],
  ['upsert metadata with NaN deep inside', `(n) => ({ op: 'upsert', args: { name: n, id: 'k0', metadata: { a: [1, { b: NaN }] } } })`, 'INVALID_METADATA', /`b` is NaN or infinite/],
  ['metadata with a BigInt', `(n) => ({ op: 'insert', args: { name: n, items: [{ vector: [1, 2, 3, 4], metadata: { big: 10n } }] } })`, 'BAD_ARGUMENT'],
  ['cyclic metadata', `(n) => { const m = {}; m.m = m; return { op: 'insert', args: { name: n, items: [{ vector: [1, 2, 3, 4], metadata: m }] } }; }`, 'BAD_ARGUMENT'],
  ['100,001 items in one insert', `(n) => ({ op: 'insert', args: { name: n, items: Array.from({ length: 100001 }, () => ({})) } })`, 'TOO_LARGE'],
  ['80 MB in one insertPacked', `(n) => ({ op: 'insertPacked', args: { name: n, vectors: new Float32Array(20e6) } })`, 'TOO_LARGE'],
  ['packed values not a whole vector', `(n) => ({ op: 'insertPacked', args: { name: n, vectors: new Float32Array(6) } })`, 'DIMENSION_MISMATCH'],
  ['packed vectors an array', `(n) => ({ op: 'insertPacked', args: { name: n, vectors: [1, 2, 3, 4] } })`, 'BAD_ARGUMENT'],
  ['insertMany chunk 0', `(n) => ({ op: 'insertMany', args: { name: n, vectors: new Float32Array(8), chunk: 0 } })`, 'BAD_ARGUMENT'],
  ['insertMany ids too few', `(n) => ({ op: 'insertMany', args: { name: n, vectors: new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]), ids: ['one'] } })`, 'BAD_ARGUMENT'],
  ['upsert of an unknown id without a vector', `(n) => ({ op: 'upsert', args: { name: n, id: 'ghost', metadata: { a: 1 } } })`, 'MISSING_VECTOR'],
  ['delete of an unknown id', `(n) => ({ op: 'delete', args: { name: n, ids: ['k1', 'ghost'] } })`, 'NOT_FOUND'],
  ['delete ids a number', `(n) => ({ op: 'delete', args: { name: n, ids: 5 } })`, 'BAD_ARGUMENT'],
  ['get id a number', `(n) => ({ op: 'get', args: { name: n, id: 5 } })`, 'BAD_ARGUMENT'],
  ['reopen with other dimensions', `(n) => ({ op: 'open', args: { name: n, options: { dimensions: 8 } } })`, 'CONFIG_MISMATCH'],
  ['negative dimensions', `(n) => ({ op: 'open', args: { name: n + '-neg', options: { dimensions: -3 } } })`, 'INVALID_CONFIG'],
  ['a billion dimensions', `(n) => ({ op: 'open', args: { name: n + '-big', options: { dimensions: 1e9 } } })`, 'INVALID_CONFIG'],
  ['int8 with manhattan', `(n) => ({ op: 'open', args: { name: n + '-q8', options: { dimensions: 4, metric: 'manhattan', quantization: 'int8' } } })`, 'INVALID_CONFIG', /quantization need the cosine/],
  ['binary with manhattan', `(n) => ({ op: 'open', args: { name: n + '-qb', options: { dimensions: 4, metric: 'manhattan', quantization: 'binary' } } })`, 'INVALID_CONFIG', /quantization need the cosine/],
  ['retrain without quantisation', `(n) => ({ op: 'retrain', args: { name: n } })`, 'INVALID_CONFIG', /quantization int8 or binary/],
  ['rescore a string', `(n) => ({ op: 'search', args: { name: n, vector: [1, 2, 3, 4], options: { rescore: 'yes' } } })`, 'BAD_ARGUMENT'],
  ['unknown quantization', `(n) => ({ op: 'open', args: { name: n + '-q4', options: { dimensions: 4, quantization: 'int4' } } })`, 'INVALID_CONFIG'],
  ['reopen asking for int8', `(n) => ({ op: 'open', args: { name: n, options: { quantization: 'int8' } } })`, 'CONFIG_MISMATCH'],
  ['unknown metric', `(n) => ({ op: 'open', args: { name: n + '-l2', options: { dimensions: 4, metric: 'l2' } } })`, 'INVALID_CONFIG'],
  ['import of garbage', `(n) => ({ op: 'import', args: { name: n + '-junk', data: new Uint8Array([1, 2, 3, 4, 5]) } })`, 'CORRUPT'],
  ['import data an array', `(n) => ({ op: 'import', args: { name: n + '-arr', data: [1, 2, 3] } })`, 'BAD_ARGUMENT'],
];

test(`hostile input: ${CASES.length} malformed requests each get a typed error; the worker lives and the data is unchanged`, async () => {
  const p = await env.browser.newPage();
  p.on('pageerror', (e) => console.log('page error:', e.message));
  await p.goto(`${env.server.url}/playwright/fixtures/worker.html${SCALAR ? '?simd=0' : ''}`);
  await p.waitForFunction(() => window.rvReady === true);
  const name = unique('hostile');
  const call = (op, args) => p.evaluate(([op, args]) => window.rvCall(op, args), [op, args]);
  assert.equal((await call('open', { name, options: { dimensions: 4, metric: 'cosine' } })).ok, true);
  const items = Array.from({ length: 20 }, (_, i) => ({ id: `k${i}`, vector: [1, i, i % 3, 2], metadata: { i } }));
  assert.equal((await call('insert', { name, items })).ok, true);
  const state = async () => {
    const stats = (await call('stats', { name })).value;
    const hits = (await call('search', { name, vector: [1, 2, 0, 2], options: { k: 5 } })).value;
    return { count: stats.len, seq: stats.storage.seq, hits: hits.hits.map((h) => [h.id, h.score]) };
  };
  const before = await state();
  const rejected = [];
  for (const [label, build, code, message] of CASES) {
    const reply = await p.evaluate(([src, name]) => new Promise((resolve) => {
      const msg = (0, eval)(`(${src})`)(name);
      const id = `h${Math.random()}`;
      const seen = window.rvReplies.length;
      window.rvPost({ v: 2, id, ...msg });
      const tick = () => {
        const got = window.rvReplies.slice(seen).find((r) => r.id === id);
        if (got) resolve(got); else setTimeout(tick, 5);
      };
      tick();
    }), [build, name]);
    assert.equal(reply.ok, false, `${label}: accepted`);
    assert.equal(reply.error.code, code, `${label}: ${JSON.stringify(reply.error).slice(0, 300)}`);
    assert.ok(reply.error.message.length > 10, `${label}: a message a user can act on`);
    if (message) assert.match(reply.error.message, message, label);
    assert.deepEqual(await state(), before, `${label}: the database changed`);
    rejected.push(code);
  }
  assert.equal((await call('hello', {})).ok, true, 'the worker is alive');
  const created = (await call('databases', {})).value.filter((n) => n.startsWith(name));
  assert.deepEqual(created, [name], 'no refused open or import left a database behind');
  console.log(`# hostile: ${rejected.length} inputs tried, ${rejected.length} rejected with typed errors (${new Set(rejected).size} codes)`);
  await call('deleteDatabase', { name });
  await p.close();
});
