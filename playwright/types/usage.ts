// Compile-time checks of web/index.d.ts and web/element.d.ts: correct use type-checks, and
// each `@ts-expect-error` line is misuse that must not (tsc fails if one of them compiles).
import { open, databases, deleteDatabase, importDatabase, RuvectorError } from 'ruvector-web';
import type { Database, SearchResult, Stats, Metric } from 'ruvector-web';
import { RuvectorDbElement } from 'ruvector-web/element';

export async function correct(): Promise<void> {
  const db: Database = await open('notes', { dimensions: 3, metric: 'cosine', index: 'hnsw', hnsw: { m: 16, efConstruction: 200 }, quantization: 'int8', durability: 'strict', persist: true });
  const again: Database = await open('notes');
  const id: string = await db.insert({ id: 'a', vector: [1, 2, 3], metadata: { tag: 'x' } });
  const ids: string[] = await db.insert([{ vector: new Float32Array([1, 2, 3]) }]);
  const controller = new AbortController();
  const r = await db.insertMany({ vectors: new Float32Array(9), ids: ['x', 'y', 'z'] }, {
    chunk: 2,
    onProgress: ({ committed, total }) => console.log(committed, total),
    signal: controller.signal,
    transfer: true,
  });
  const committed: number = r.committed;
  const aborted: boolean = r.aborted;
  await db.upsert('a', { metadata: null });
  const kind: 'inserted' | 'updated' = await db.upsert('a', { vector: [3, 2, 1] });
  const got = await db.get('a');
  const v: Float32Array | undefined = got?.vector;
  await db.delete(['a', 'b']);
  const hits: SearchResult[] = await db.search([1, 0, 0], { k: 5, ef: 64, filter: { tag: { $in: ['x'] } }, includeMetadata: true });
  const score: number = hits[0].score;
  const lists: SearchResult[][] = await db.searchMany(new Float32Array(6), { k: 2 });
  const best: string = lists[1][0].id;
  await db.searchMany([[1, 2, 3], new Float32Array(3)], { filter: { tag: 'x' } });
  // @ts-expect-error searchMany takes queries, not one query's numbers as arguments
  await db.searchMany(1, 2, 3);
  const n: number = await db.count();
  await db.retrain();
  const { slotsBefore, slotsAfter } = await db.compact();
  const reclaimed: number = slotsBefore - slotsAfter;
  const dead: number = (await db.stats()).tombstones;
  await open('manual', { dimensions: 3, compaction: 'manual' });
  // @ts-expect-error compaction is 'auto' or 'manual'
  await open('never', { dimensions: 3, compaction: false });
  await db.search([1, 2, 3], { k: 5, rescore: true });
  const stats: Stats = await db.stats();
  const metric: Metric = stats.metric;
  const used: number | undefined = stats.quota?.usage;
  // @ts-expect-error the estimate is null where the browser has no Storage API
  const left: number = stats.quota.quota - stats.quota.usage;
  const file: Blob = await db.export();
  await db.import(file);
  db.addEventListener('progress', (e) => console.log(e.detail.committed));
  db.addEventListener('change', (e) => console.log(e.detail.seq, e.detail.origin === 'remote'));
  // @ts-expect-error a change's origin is 'local' or 'remote'
  db.addEventListener('change', (e) => e.detail.origin === 'elsewhere');
  db.addEventListener('terminated', (e) => console.log(e.detail.code));
  await importDatabase('copy', file);
  const names: string[] = await databases();
  await deleteDatabase('copy');
  await deleteDatabase('copy', { blocked: ({ name }) => console.log(`waiting for ${name.length}`) });
  // @ts-expect-error blocked is a callback, not a flag
  await deleteDatabase('copy', { blocked: true });
  await db.destroy({ blocked: () => undefined });
  await db.destroy();
  await again.close();
  try {
    await open('x');
  } catch (e) {
    if (e instanceof RuvectorError && e.code === 'NOT_FOUND') console.log(e.message);
    // @ts-expect-error deletes wait instead of failing with BLOCKED
    if (e instanceof RuvectorError && e.code === 'BLOCKED') console.log(e.message);
  }
  const el = document.createElement('ruvector-db');
  const typed: RuvectorDbElement = el as RuvectorDbElement;
  el.addEventListener('ready', (e) => e.detail.db.count());
  el.addEventListener('error', (e) => console.log(e.detail.code));
  const fromEl: SearchResult[] = await el.search(new Float32Array(3), { k: 1 });
  const maybe: Database | null = el.db;
  el.addEventListener('results', (e) => console.log(e.detail.query, e.detail.hits[0]?.text));
  console.log(id, ids, committed, aborted, kind, v, score, n, metric, names, typed, fromEl, maybe);
}

export async function text(): Promise<void> {
  const embedder = { name: 'hash', dimensions: 3, embed: async (texts: string[]) => texts.map(() => new Float32Array(3)) };
  const db = await open('notes', { dimensions: 3, text: { stem: false, stopWords: true }, embedder, embedTimeoutMs: 5000 });
  await open('notes', { text: true, embedder: '/embedders/hash.js' });
  await db.insert({ id: 'n1', text: 'libssl3: secure sockets' });
  await db.insert({ id: 'n2', vector: [1, 2, 3], text: 'zstd', metadata: { lang: 'en' } });
  await db.insertMany({ vectors: new Float32Array(6), texts: ['a', null] });
  await db.upsert('n1', { text: null });
  const byText: SearchResult[] = await db.search('libssl3', { k: 3, includeText: true });
  const words: string | undefined = byText[0].text;
  const bm25: number | undefined = byText[0].scores.text;
  const distance: number | undefined = byText[0].distance;
  const hybrid = await db.search({ vector: [1, 2, 3], text: 'zstd' }, { mode: 'hybrid', fusion: { method: 'weighted', text: 0.3, vector: 0.7 } });
  await db.search('zstd', { mode: 'text', fusion: { method: 'rrf', rankConstant: 20 }, filter: { lang: 'en' } });
  const many: SearchResult[][] = await db.searchMany(['a', 'b'], { k: 2 });
  await db.searchMany({ vectors: new Float32Array(6), texts: ['a', 'b'] });
  const stats = await db.stats();
  const records: number | undefined = stats.text?.records;
  const got = await db.get('n2');
  const stored: string | undefined = got?.text;
  // @ts-expect-error a hit's distance may be missing (text hits)
  const sure: number = byText[0].distance;
  console.log(words, bm25, distance, hybrid, many, records, stored, sure);
}

export async function misuse(db: Database): Promise<void> {
  // @ts-expect-error a metric that does not exist
  await open('bad-metric', { dimensions: 3, metric: 'cosinus' });
  // @ts-expect-error creation options without `dimensions`
  await open('no-dimensions', { metric: 'euclidean', index: 'flat' });
  // @ts-expect-error a misspelt option
  await open('bad-field', { dims: 3 });
  await open('bits', { dimensions: 3, quantization: 'binary' });
  // @ts-expect-error a quantisation that does not exist
  await open('bad-quantization', { dimensions: 3, quantization: 'int4' });
  // @ts-expect-error a query text must be a string
  await db.search({ vector: [1, 2, 3], text: 5 });
  // @ts-expect-error a search mode that does not exist
  await db.search('libssl', { mode: 'fuzzy' });
  // @ts-expect-error weighted fusion has no rank constant
  await db.search('libssl', { fusion: { method: 'weighted', rankConstant: 60 } });
  // @ts-expect-error an embedder needs its dimensions
  await open('bad-embedder', { dimensions: 3, embedder: { embed: async () => [] } });
  // @ts-expect-error a vector of the wrong element type
  await db.insert({ vector: ['1', '2', '3'] });
  // @ts-expect-error insertMany's packed vectors must be a Float32Array
  await db.insertMany({ vectors: [1, 2, 3] });
  // @ts-expect-error k is a number
  await db.search([1, 2, 3], { k: '5' });
  // @ts-expect-error an unknown error code
  new RuvectorError('OOPS', 'no such code');
  // @ts-expect-error the element's db is read-only
  document.createElement('ruvector-db').db = null;
}

export async function records(db: Database): Promise<void> {
  const stream: ReadableStream<Uint8Array> = db.exportRecords({ format: 'jsonl', chunk: 500, onProgress: ({ exported, total }) => console.log(exported, total) });
  const r = await db.importRecords(stream, { columns: { id: 'doc_id', vector: 'embedding' }, mode: 'upsert' });
  const n: number = r.imported;
  console.log(n);
  // @ts-expect-error formats are jsonl, arrow and parquet, not csv
  db.exportRecords({ format: 'csv' });
  // @ts-expect-error mode is append or upsert
  await db.importRecords('', { mode: 'merge' });
}
