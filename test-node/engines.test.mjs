// Records moved to real engines answer as ruvector-web does: a JSON-lines export loaded into
// pgvector (PGlite with its vector extension) and into LanceDB (@lancedb/lancedb) answers 100
// queries with the exact top 10 of ruvector-web's flat index (ordered where neighbouring
// distances differ by more than 1e-6, as sets within ties); and each engine's own rows read back
// by importRecords give the same records. Data: the demo's committed slice (the first 3,000 of
// 10,000 Debian package descriptions, all-MiniLM-L6-v2), its next 100 vectors the queries.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { open } from '../node/index.js';

const ROOT = new URL('..', import.meta.url).pathname;
const N = 3000;
const Q = 100;
const K = 10;
let dir;
let rows; // what ruvector-web exported, parsed
let queries;
let ours; // per query: [{ id, distance }] × (K + 1)
let db;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ruvector-engines-'));
  const meta = JSON.parse(await readFile(join(ROOT, 'demo', 'data', 'packages.json'), 'utf8'));
  const buf = await readFile(join(ROOT, 'demo', 'data', 'vectors.f32'));
  const all = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  const dim = meta.dim;
  db = await open('slice', { path: dir, dimensions: dim, metric: 'euclidean', index: 'flat', text: true });
  await db.insertMany(
    meta.rows.slice(0, N).map(([id, text, section], i) => ({ id, vector: all.slice(i * dim, (i + 1) * dim), text, metadata: { section, n: i } })),
  );
  queries = Array.from({ length: Q }, (_, q) => all.slice((N + q) * dim, (N + q + 1) * dim));
  ours = [];
  for (const q of queries) ours.push((await db.search(q, { k: K + 1 })).map((h) => ({ id: h.id, distance: h.distance })));
  rows = (await new Response(db.exportRecords({ format: 'jsonl' })).text()).trim().split('\n').map(JSON.parse);
});

after(async () => {
  await db?.close();
  await rm(dir, { recursive: true, force: true });
});

/**
 * Checks an engine's top `K` ids against ours: position by position where a hit's distance is
 * more than 1e-6 from its neighbours', as a set within a run of ties; a run that reaches past
 * `K` (a tie at the cut) is left out.
 */
function sameTop(mine, theirs, label) {
  assert.equal(theirs.length, K, `${label}: ${K} hits`);
  let i = 0;
  let checked = 0;
  while (i < K) {
    let j = i + 1;
    while (j < mine.length && Math.abs(mine[j].distance - mine[j - 1].distance) <= 1e-6) j++;
    if (j > K) break; // ties across the cut: either engine may keep either
    const want = mine.slice(i, j).map((h) => h.id).sort();
    const got = theirs.slice(i, j).sort();
    assert.deepEqual(got, want, `${label}: ranks ${i + 1}-${j}`);
    checked += j - i;
    i = j;
  }
  return checked;
}

/** Asserts that nearly every rank was compared (ties at the cut are rare), so the check bites. */
const mostRanks = (checked, label) => assert.ok(checked >= 0.95 * Q * K, `${label}: ${checked} of ${Q * K} ranks compared`);

/** Every record of `rows` is in `target` as it was exported (vectors equal as float32). */
async function sameRecords(target, label) {
  assert.equal(await target.count(), rows.length, `${label}: every record`);
  for (const r of rows.filter((_, i) => i % 97 === 0)) {
    const got = await target.get(r.id);
    assert.deepEqual({ id: got.id, vector: Array.from(got.vector), text: got.text ?? null, metadata: got.metadata ?? null }, { id: r.id, vector: Array.from(Float32Array.from(r.vector)), text: r.text, metadata: r.metadata }, `${label}: ${r.id}`);
  }
}

test('pgvector (PGlite) answers as the flat index does, and its rows import back unchanged', async () => {
  const { PGlite } = await import('@electric-sql/pglite');
  const { vector } = await import('@electric-sql/pglite-pgvector');
  const pg = await PGlite.create({ extensions: { vector } });
  try {
    await pg.exec('CREATE EXTENSION IF NOT EXISTS vector');
    await pg.exec(`CREATE TABLE items (id text PRIMARY KEY, embedding vector(${rows[0].vector.length}), text text, metadata jsonb)`);
    // As docs/outgrowing.md loads them: a batch of INSERTs per page of JSON lines.
    for (let s = 0; s < rows.length; s += 500) {
      const page = rows.slice(s, s + 500);
      const params = page.flatMap((r) => [r.id, JSON.stringify(r.vector), r.text, r.metadata === null ? null : JSON.stringify(r.metadata)]);
      const values = page.map((_, i) => `($${4 * i + 1}, $${4 * i + 2}::vector, $${4 * i + 3}, $${4 * i + 4}::jsonb)`).join(', ');
      await pg.query(`INSERT INTO items (id, embedding, text, metadata) VALUES ${values}`, params);
    }
    let checked = 0;
    for (let q = 0; q < Q; q++) {
      const r = await pg.query('SELECT id FROM items ORDER BY embedding <-> $1::vector LIMIT 10', [JSON.stringify(Array.from(queries[q]))]);
      checked += sameTop(ours[q], r.rows.map((x) => x.id), `pgvector query ${q}`);
    }
    mostRanks(checked, 'pgvector');
    // pgvector's own rows (vectors in its text form) read back by importRecords.
    const out = await pg.query('SELECT id, embedding::text AS embedding, text, metadata::text AS metadata FROM items ORDER BY id');
    const jsonl = out.rows.map((x) => JSON.stringify({ id: x.id, embedding: JSON.parse(x.embedding), body: x.text, meta: x.metadata })).join('\n');
    const back = await open('from-pgvector', { path: dir, dimensions: rows[0].vector.length, metric: 'euclidean', text: true });
    await back.importRecords(jsonl, { columns: { vector: 'embedding', text: 'body', metadata: 'meta' } });
    await sameRecords(back, 'pgvector');
    await back.destroy();
  } finally {
    await pg.close();
  }
});

test('LanceDB answers as the flat index does, and its rows import back unchanged', async () => {
  const lancedb = await import('@lancedb/lancedb');
  const conn = await lancedb.connect(join(dir, 'lance'));
  // Metadata as its JSON text: LanceDB infers one schema, and records' metadata differ.
  const table = await conn.createTable('items', rows.map((r) => ({ id: r.id, vector: r.vector, text: r.text ?? '', metadata: JSON.stringify(r.metadata) })));
  let checked = 0;
  for (let q = 0; q < Q; q++) {
    const hits = await table.search(Array.from(queries[q])).distanceType('l2').limit(K).toArray();
    checked += sameTop(ours[q], hits.map((h) => h.id), `LanceDB query ${q}`);
  }
  mostRanks(checked, 'LanceDB');
  const all = await table.query().limit(rows.length + 1).toArray();
  const jsonl = all.map((x) => JSON.stringify({ id: x.id, vector: Array.from(x.vector), text: x.text === '' ? null : x.text, metadata: x.metadata })).join('\n');
  const back = await open('from-lancedb', { path: dir, dimensions: rows[0].vector.length, metric: 'euclidean', text: true });
  await back.importRecords(jsonl);
  await sameRecords(back, 'LanceDB');
  await back.destroy();
});

test('LanceDB takes the Arrow export as it is, and its own Arrow table imports back unchanged', async () => {
  // LanceDB's own copy of apache-arrow (it requires the CommonJS build): Arrow objects handed
  // to it must be made by the same module instance. Bytes cross between any two.
  const { tableFromIPC, tableToIPC } = createRequire(import.meta.url)('apache-arrow');
  const lancedb = await import('@lancedb/lancedb');
  const bytes = new Uint8Array(await new Response(db.exportRecords({ format: 'arrow' })).arrayBuffer());
  const conn = await lancedb.connect(join(dir, 'lance-arrow'));
  const table = await conn.createTable('items', tableFromIPC(bytes));
  // Scalar metadata keys arrived as columns of their own, so LanceDB can filter on them.
  assert.deepEqual((await table.schema()).fields.map((f) => f.name), ['id', 'vector', 'text', 'metadata', 'n', 'section']);
  let checked = 0;
  for (let q = 0; q < Q; q++) {
    const hits = await table.search(Array.from(queries[q])).distanceType('l2').limit(K).toArray();
    checked += sameTop(ours[q], hits.map((h) => h.id), `LanceDB (Arrow) query ${q}`);
  }
  mostRanks(checked, 'LanceDB (Arrow)');
  const own = await table.query().limit(rows.length + 1).toArrow();
  const back = await open('from-lancedb-arrow', { path: dir, dimensions: rows[0].vector.length, metric: 'euclidean', text: true });
  await back.importRecords(tableToIPC(own, 'stream'), { format: 'arrow' });
  await sameRecords(back, 'LanceDB (Arrow)');
  await back.destroy();
});

test('a Parquet export, read as LanceDB users read Parquet in Node, answers as the flat index does', async () => {
  const { tableFromIPC } = createRequire(import.meta.url)('apache-arrow');
  const { readParquet } = await import('parquet-wasm');
  const lancedb = await import('@lancedb/lancedb');
  const file = new Uint8Array(await new Response(db.exportRecords({ format: 'parquet' })).arrayBuffer());
  const conn = await lancedb.connect(join(dir, 'lance-parquet'));
  const table = await conn.createTable('items', tableFromIPC(readParquet(file).intoIPCStream()));
  let checked = 0;
  for (let q = 0; q < Q; q++) {
    const hits = await table.search(Array.from(queries[q])).distanceType('l2').limit(K).toArray();
    checked += sameTop(ours[q], hits.map((h) => h.id), `LanceDB (Parquet) query ${q}`);
  }
  mostRanks(checked, 'LanceDB (Parquet)');
  // A filter on a metadata key that the file gave a column of its own.
  const inSection = await table.search(Array.from(queries[0])).distanceType('l2').where("section = 'libs'").limit(5).toArray();
  const mine = await db.search(queries[0], { k: 5, filter: { section: 'libs' } });
  assert.deepEqual(inSection.map((h) => h.id), mine.map((h) => h.id));
});
