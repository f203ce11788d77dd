// Node benchmark (`make bench`): debian-minilm-20k through the Node entry as an app calls it
// (`open`, `insertMany`, `search`), then through the LangChain store; beside hnswlib-node as its
// README runs it (a native add-on in the calling thread, saved with writeIndex) and the browser's
// figures of the same data from benches/results/browser-peers.json (its own, earlier run of
// playwright/bench.mjs). Writes benches/results/node.json and the "Node" section of
// benches/README.md. Needs ../shared/data/debian-minilm-20k.
import { readFile, writeFile, mkdtemp, rm, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { open } from '../node/index.js';
import { RuvectorStore } from '../stores/langchain.js';
import { splice } from '../playwright/bench-report.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const DATA = join(ROOT, '..', 'shared', 'data', 'debian-minilm-20k');
const EFS = [16, 32, 64, 128];
const K = 10;

/** Rows of an .fvecs/.ivecs file: each an int32 length then that many values. */
async function vecs(file, Kind) {
  const b = await readFile(file);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const dim = dv.getInt32(0, true);
  const n = b.byteLength / (4 + 4 * dim);
  const out = new Kind(n * dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) out[i * dim + j] = Kind === Float32Array ? dv.getFloat32(i * (4 + 4 * dim) + 4 + 4 * j, true) : dv.getInt32(i * (4 + 4 * dim) + 4 + 4 * j, true);
  return { n, dim, data: out };
}

/**
 * hnswlib-node, built on first use: `npm ci --ignore-scripts` leaves its add-on unbuilt, and
 * node-gyp builds it here against the headers of the running Node (no download). Null when that
 * cannot be done.
 */
async function hnswlib() {
  const require = createRequire(import.meta.url);
  try {
    return require('hnswlib-node');
  } catch {
    // Not built yet.
  }
  try {
    const dir = dirname(require.resolve('hnswlib-node/package.json'));
    const nodedir = dirname(dirname(process.execPath)).replace(/\/$/, '') || '/';
    const gyp = join(dirname(require.resolve('npm/package.json', { paths: [join(nodedir, 'lib', 'node_modules')] })), 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
    execFileSync(process.execPath, [gyp, 'rebuild', `--nodedir=${existsSync(join(nodedir, 'include', 'node')) ? nodedir : '/usr'}`], { cwd: dir, stdio: 'ignore' });
    return require('hnswlib-node');
  } catch (e) {
    console.log(`node-bench: hnswlib-node unavailable (${e.message.split('\n')[0]})`);
    return null;
  }
}

async function benchHnswlib(lib, base, queries, truth, dir) {
  const dim = base.dim;
  const index = new lib.HierarchicalNSW('cosine', dim);
  const t0 = performance.now();
  index.initIndex(base.n, 16, 200, 100);
  for (let i = 0; i < base.n; i++) index.addPoint(Array.from(base.data.subarray(i * dim, (i + 1) * dim)), i);
  const file = join(dir, 'hnswlib.bin');
  await index.writeIndex(file);
  const buildS = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  const again = new lib.HierarchicalNSW('cosine', dim);
  await again.readIndex(file);
  const openMs = performance.now() - t1;
  const search = [];
  again.setEf(64);
  await timed(queries, dim, async (v) => again.searchKnn(Array.from(v), K)); // untimed, as for ours
  for (const ef of EFS) {
    again.setEf(ef);
    const r = await timed(queries, dim, async (v) => again.searchKnn(Array.from(v), K).neighbors.map(String));
    search.push({ ef, queries: queries.n, recall10: recall(r.answers, truth), qps: r.qps, p50_us: r.p50_us, p99_us: r.p99_us });
  }
  return { version: JSON.parse(await readFile(createRequire(import.meta.url).resolve('hnswlib-node/package.json'), 'utf8')).version, build: { seconds: buildS, inserts_per_s: base.n / buildS }, open_ms: openMs, bytes: (await stat(file)).size, search };
}

/** Resident memory's peak while `fn` runs, sampled every 5 ms, in bytes. */
async function peakRss(fn) {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 5);
  try {
    const value = await fn();
    return { value, peak: Math.max(peak, process.memoryUsage().rss) };
  } finally {
    clearInterval(timer);
  }
}

/** Export and import rates of `db` in `format`: records/s, MB/s, peak resident memory. */
async function recordsRates(db, dir, dim, format, index = 'hnsw') {
  const n = await db.count();
  const before = process.memoryUsage().rss;
  const t0 = performance.now();
  const out = await peakRss(async () => {
    let bytes = 0;
    for await (const b of db.exportRecords({ format })) bytes += b.length;
    return bytes;
  });
  const exportS = (performance.now() - t0) / 1000;
  const into = await open('records-into', { path: dir, dimensions: dim, metric: 'cosine', index });
  const t1 = performance.now();
  const imp = await peakRss(() => into.importRecords(db.exportRecords({ format }), { format }));
  const importS = (performance.now() - t1) / 1000;
  await into.destroy();
  return {
    format,
    index,
    records: n,
    bytes: out.value,
    export: { seconds: exportS, records_per_s: n / exportS, mb_per_s: out.value / 1e6 / exportS, peak_rss_bytes: out.peak, rss_before_bytes: before },
    import: { seconds: importS, records_per_s: n / importS, mb_per_s: out.value / 1e6 / importS, peak_rss_bytes: imp.peak },
  };
}

const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];

async function timed(queries, dim, fn) {
  const lat = [];
  const answers = [];
  for (let q = 0; q < queries.n; q++) {
    const v = queries.data.subarray(q * dim, (q + 1) * dim);
    const t = performance.now();
    answers.push(await fn(v));
    lat.push(performance.now() - t);
  }
  const total = lat.reduce((a, b) => a + b, 0);
  return { answers, qps: (queries.n * 1000) / total, p50_us: pct(lat, 0.5) * 1000, p99_us: pct(lat, 0.99) * 1000, mean_us: (total / queries.n) * 1000 };
}

function recall(answers, truth) {
  let hit = 0;
  answers.forEach((ids, q) => {
    const want = new Set(Array.from(truth.data.subarray(q * truth.dim, q * truth.dim + K), String));
    for (const id of ids.slice(0, K)) if (want.has(id)) hit++;
  });
  return hit / (answers.length * K);
}

function markdown(o) {
  const browser = new Map((o.browser?.search ?? []).map((r) => [r.ef, r]));
  const peer = new Map((o.hnswlib?.search ?? []).map((r) => [r.ef, r]));
  const main = new Map((o.main_thread?.search ?? []).map((r) => [r.ef, r]));
  const f = (x, d = 0) => (x === undefined ? '–' : x.toFixed(d));
  const rows = o.search.map((r) => {
    const b = browser.get(r.ef);
    const h = peer.get(r.ef);
    const m = main.get(r.ef);
    return `| ${r.ef} | ${f(r.recall10, 3)} | ${f(r.qps)} | ${f(r.p99_us)} | ${m ? f(m.qps) : '–'} | ${m ? f(m.p99_us) : '–'} | ${h ? f(h.recall10, 3) : '–'} | ${h ? f(h.qps) : '–'} | ${h ? f(h.p99_us) : '–'} | ${b ? f(b.qps) : '–'} | ${b ? f(b.p99_us) : '–'} |`;
  });
  return [
    '## Node',
    '',
    `From one run of \`node test-node/node-bench.mjs\` (in \`make bench\`; Node ${o.node}, ${o.n} × ${o.dim} debian-minilm-20k, cosine, m 16, ef_construction 200, files on disk, \`durability: 'strict'\`), through the Node entry as an app calls it: by default a worker thread answers each call; with \`thread: 'main'\` the engine runs in the calling thread (the same recall: the same engine). Beside it hnswlib-node ${o.hnswlib?.version ?? '(unavailable)'} as its README runs it: a native add-on called in the same thread, \`addPoint\` per vector, then \`writeIndex\` (one file, no acknowledged writes before it). Each system answers every query once untimed first. The browser columns are Chromium's, from benches/results/browser-peers.json (playwright/bench.mjs, an earlier run on its own).`,
    '',
    `Build: \`insertMany\` of ${o.n} in chunks of 1,000, each acknowledged after its fdatasync: **${f(o.build.inserts_per_s)} inserts/s**; hnswlib-node ${o.hnswlib ? f(o.hnswlib.build.inserts_per_s) : '–'} (with its writeIndex); the browser ${o.browser ? f(o.browser.build.inserts_per_s) : '–'}. A cold open in a new worker: ${f(o.open_ms, 1)} ms (in this thread: ${o.main_thread ? f(o.main_thread.open_ms, 1) : '–'} ms); hnswlib-node's readIndex: ${o.hnswlib ? f(o.hnswlib.open_ms, 1) : '–'} ms.`,
    '',
    '| ef | ours recall@10 | ours QPS (worker) | p99 µs | ours QPS (`thread: \'main\'`) | p99 µs | hnswlib-node recall@10 | hnswlib-node QPS | p99 µs | browser QPS | p99 µs |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    ...(o.records ?? []).flatMap((r) => [
      `Records as ${{ jsonl: 'JSON lines', arrow: 'an Arrow stream', parquet: 'a Parquet file' }[r.format]} (\`exportRecords\`, \`importRecords\`; docs/outgrowing.md), ${r.records} records${r.index === 'flat' ? ' (seeded, a flat index)' : ''}, ${f(r.bytes / 1e6, 1)} MB: export ${f(r.export.records_per_s)} records/s (${f(r.export.mb_per_s, 1)} MB/s), import into a new database ${f(r.import.records_per_s)} records/s (${f(r.import.mb_per_s, 1)} MB/s${r.index === 'flat' ? ', a flat index: the format\'s own cost' : ', the graph built as it goes'}); the process's resident memory peaked at ${f(r.export.peak_rss_bytes / 2 ** 20)} MiB exporting and ${f(r.import.peak_rss_bytes / 2 ** 20)} MiB importing (${f(r.export.rss_before_bytes / 2 ** 20)} MiB before, the benchmark's own data included).`,
      '',
    ]),
    `LangChain store (ef 64 by default, ${o.langchain.queries} queries): \`similaritySearchVectorWithScore\` takes ${f(o.langchain.store_mean_us)} µs a query against ${f(o.langchain.direct_mean_us)} µs for \`db.search\` with the same options (metadata and text included): **${f(o.langchain.overhead, 2)}×**.`,
  ].join('\n');
}

async function main() {
  if (!existsSync(join(DATA, 'base.fvecs'))) {
    console.log(`node-bench: skipped, no ${DATA}`);
    return;
  }
  const base = await vecs(join(DATA, 'base.fvecs'), Float32Array);
  const queries = await vecs(join(DATA, 'query.fvecs'), Float32Array);
  const truth = await vecs(join(DATA, 'groundtruth.ivecs'), Int32Array);
  const dim = base.dim;
  const dir = await mkdtemp(join(tmpdir(), 'ruvector-node-bench-'));
  try {
    const ids = Array.from({ length: base.n }, (_, i) => String(i));
    let db = await open('bench', { path: dir, dimensions: dim, metric: 'cosine' });
    const t0 = performance.now();
    await db.insertMany({ vectors: base.data, ids }, { chunk: 1000 });
    const buildS = (performance.now() - t0) / 1000;
    await db.close();
    const t1 = performance.now();
    db = await open('bench', { path: dir });
    await db.count();
    const openMs = performance.now() - t1;
    const searches = async (d) => {
      // One untimed pass first: a fresh engine's wasm runs unoptimised until V8 tiers it up.
      await timed(queries, dim, (v) => d.search(v, { k: K, ef: 64 }));
      const rows = [];
      for (const ef of EFS) {
        const r = await timed(queries, dim, async (v) => (await d.search(v, { k: K, ef })).map((h) => h.id));
        rows.push({ ef, queries: queries.n, recall10: recall(r.answers, truth), qps: r.qps, p50_us: r.p50_us, p99_us: r.p99_us });
        console.log(`node-bench: ef ${ef}: recall ${rows.at(-1).recall10.toFixed(3)}, ${r.qps.toFixed(0)} QPS`);
      }
      return rows;
    };
    const search = await searches(db);
    // The same database with the engine in this thread (`thread: 'main'`).
    await db.close();
    const t2 = performance.now();
    const inThread = await open('bench', { path: dir, thread: 'main' });
    await inThread.count();
    const openMainMs = performance.now() - t2;
    const searchMain = await searches(inThread);
    await inThread.close();
    db = await open('bench', { path: dir });
    const lib = await hnswlib();
    const peer = lib ? await benchHnswlib(lib, base, queries, truth, dir) : null;
    const store = new RuvectorStore(null, { db });
    const direct = await timed(queries, dim, (v) => db.search(v, { k: K, includeMetadata: true, includeText: true }));
    const viaStore = await timed(queries, dim, (v) => store.similaritySearchVectorWithScore(Array.from(v), K));
    // Records out and in as JSON lines (docs/outgrowing.md), with the process's peak memory.
    const records = [];
    for (const format of ['jsonl', 'arrow', 'parquet']) records.push(await recordsRates(db, dir, dim, format));
    // 100,000 seeded vectors of the same dimension in a flat index, imported into flat indexes:
    // the formats' own cost, without a graph to build.
    const big = await open('records-100k', { path: dir, dimensions: dim, metric: 'cosine', index: 'flat' });
    let seed = 20261207;
    const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32) - 0.5;
    for (let s = 0; s < 100_000; s += 10_000) {
      const vectors = Float32Array.from({ length: 10_000 * dim }, rnd);
      await big.insertMany({ vectors, metadata: Array.from({ length: 10_000 }, (_, i) => ({ n: s + i, even: (s + i) % 2 === 0 })) });
    }
    for (const format of ['jsonl', 'arrow', 'parquet']) records.push(await recordsRates(big, dir, dim, format, 'flat'));
    await big.destroy();
    await db.close();
    let browser = null;
    try {
      const peers = JSON.parse(await readFile(join(ROOT, 'benches', 'results', 'browser-peers.json'), 'utf8'));
      const ours = peers.systems.find((s) => s.id === 'ruvector');
      browser = { browser: peers.browser, build: ours.build, search: ours.search };
    } catch {
      // No browser figures yet: the table says so.
    }
    const out = {
      bench: 'node',
      node: process.versions.node,
      n: base.n,
      dim,
      build: { seconds: buildS, inserts_per_s: base.n / buildS },
      open_ms: openMs,
      search,
      main_thread: { open_ms: openMainMs, search: searchMain },
      records,
      langchain: { queries: queries.n, direct_mean_us: direct.mean_us, store_mean_us: viaStore.mean_us, overhead: viaStore.mean_us / direct.mean_us },
      hnswlib: peer,
      browser,
    };
    await writeFile(join(ROOT, 'benches', 'results', 'node.json'), JSON.stringify(out, null, 2) + '\n');
    await splice('benches/README.md', 'node', markdown(out));
    console.log('node-bench: wrote benches/results/node.json and the Node section of benches/README.md');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
