// The churn benchmark of issue #30 (a benchmark, not a test; in `make bench`): through the
// public facade in a page, RUVECTOR_CHURN_N records (default 20,000) × 384 are inserted, then
// every one is upserted with a new vector RUVECTOR_CHURN_ROUNDS times (default 10; an app
// re-embedding its notes). The churned database, the same database after `compact()` and a
// fresh database of the same final records are each closed and reopened cold, and measured:
// memory by part, the worker's wasm memory, the origin's storage, open time and recall@10 at
// ef 64 against exact truth. Seeded clustered data (no ../shared needed). Writes
// benches/results/churn.json and the "churn" table of benches/README.md.
//   node playwright/churn-bench.mjs        RUVECTOR_CHURN_N=2000 RUVECTOR_CHURN_ROUNDS=3 node …
import { writeFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, ROOT } from './server.mjs';
import { launchPersistent } from './browser.mjs';
import { splice } from './bench-report.mjs';

const CI = process.env.CI === 'true';
const n = Number(process.env.RUVECTOR_CHURN_N || (CI ? 2_000 : 20_000));
const rounds = Number(process.env.RUVECTOR_CHURN_ROUNDS || (CI ? 3 : 10));
const SEED = 20261208;

/** Runs in the page: the whole benchmark, through `window.rv`. */
async function run([n, rounds, seed]) {
  const { open, deleteDatabase } = window.rv;
  const dim = 384;
  const clusters = 64;
  let s = seed >>> 0;
  const uniform = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  const gauss = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  const centres = Array.from({ length: clusters }, () => Float32Array.from({ length: dim }, gauss));
  // Record i stays in its cluster as it is re-embedded: a new point near the same centre.
  const point = (i) => Float32Array.from(centres[i % clusters], (c) => c + 0.6 * gauss());
  const ids = Array.from({ length: n }, (_, i) => `note${i}`);
  const current = ids.map((_, i) => point(i));
  const queries = Array.from({ length: 200 }, (_, q) => point(q * 7919));
  /** The current vectors back to back, as insertMany takes them. */
  const packed = () => {
    const out = new Float32Array(n * dim);
    current.forEach((v, i) => out.set(v, i * dim));
    return out;
  };

  // Exact top-10 by cosine over the final vectors.
  const unit = (v) => {
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  };
  const truth = () => {
    const rows = current.map(unit);
    return queries.map((q) => {
      const u = unit(q);
      const scored = rows.map((r, i) => {
        let dot = 0;
        for (let j = 0; j < dim; j++) dot += r[j] * u[j];
        return [dot, i];
      });
      scored.sort((a, b) => b[0] - a[0]);
      return new Set(scored.slice(0, 10).map(([, i]) => ids[i]));
    });
  };
  const usage = async () => (await navigator.storage.estimate()).usage;

  /** Closes `db`, reopens it cold (a fresh worker) and measures what a user gets. */
  async function measure(name, db, exact) {
    // Three cold opens (a fresh worker each); the median is reported.
    const opens = [];
    let fromCache = [];
    for (let i = 0; i < 3; i++) {
      await db.close();
      const t0 = performance.now();
      db = await open(name, { compaction: 'manual' });
      opens.push(performance.now() - t0);
      fromCache.push((await db.stats()).persistence.openFromCache);
    }
    const openMs = opens.sort((a, b) => a - b)[1];
    const st = await db.stats();
    let found = 0;
    for (let q = 0; q < queries.length; q++) {
      const hits = await db.search(queries[q], { k: 10, ef: 64 });
      found += hits.filter((h) => exact[q].has(h.id)).length;
    }
    const m = st.memory;
    const out = {
      live: st.len,
      tombstones: st.tombstones,
      memory_bytes: m.vectors + m.codes + m.graph + m.ids + m.metadata + m.text,
      memory: m,
      wasm_memory_bytes: st.wasmMemory,
      storage_bytes: await usage(),
      open_bytes_read: st.persistence.openBytesRead,
      open_ms: openMs,
      open_from_cache: fromCache,
      recall_at_10: found / (10 * queries.length),
    };
    return { db, out };
  }

  await deleteDatabase('churn');
  await deleteDatabase('fresh');
  let db = await open('churn', { dimensions: dim, compaction: 'manual' });
  let t = performance.now();
  await db.insertMany({ ids, vectors: packed() });
  const insertMs = performance.now() - t;
  t = performance.now();
  for (let r = 0; r < rounds; r++) {
    for (let at = 0; at < n; at += 500) {
      const part = ids.slice(at, at + 500);
      await Promise.all(part.map((id, k) => {
        current[at + k] = point(at + k);
        return db.upsert(id, { vector: current[at + k] });
      }));
    }
  }
  const upsertMs = performance.now() - t;
  const exact = truth();
  const churned = await measure('churn', db, exact);
  t = performance.now();
  const compaction = await churned.db.compact();
  const compactMs = performance.now() - t;
  const compacted = await measure('churn', churned.db, exact);
  await compacted.db.close();
  await deleteDatabase('churn');
  db = await open('fresh', { dimensions: dim, compaction: 'manual' });
  t = performance.now();
  await db.insertMany({ ids, vectors: packed() });
  const freshMs = performance.now() - t;
  const fresh = await measure('fresh', db, exact);
  await fresh.db.close();
  await deleteDatabase('fresh');
  return {
    n, rounds, dim, insert_ms: insertMs, upserts_per_s: (n * rounds) / (upsertMs / 1000),
    compact_ms: compactMs, compaction, fresh_insert_ms: freshMs,
    churned: churned.out, compacted: compacted.out, fresh: fresh.out,
  };
}

const fix = (x, d = 0) => x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });

/** The benches/README.md table. */
function table(r) {
  const mib = (b) => fix(b / 2 ** 20, 1);
  const ratio = (a, b) => fix(a / b, 2);
  const rows = [
    ['live records', (x) => fix(x.live), null],
    ['dead slots (tombstones)', (x) => fix(x.tombstones), null],
    ['memory, MiB (stats().memory, all parts)', (x) => mib(x.memory_bytes), 'memory_bytes'],
    ['worker wasm memory after a cold open, MiB', (x) => mib(x.wasm_memory_bytes), 'wasm_memory_bytes'],
    ['origin storage, MiB (storage.estimate)', (x) => mib(x.storage_bytes), 'storage_bytes'],
    ['bytes a cold open reads, MiB', (x) => mib(x.open_bytes_read), 'open_bytes_read'],
    ['cold open, ms', (x) => fix(x.open_ms), 'open_ms'],
    ['recall@10 at ef 64', (x) => fix(x.recall_at_10, 3), null],
  ];
  const lines = [
    `${fix(r.n)} records × ${r.dim}, every vector replaced ${r.rounds} times through \`upsert\` (${fix(r.upserts_per_s)} upserts/s), then \`compact()\`: ${fix(r.compact_ms)} ms, ${fix(r.compaction.slotsBefore)} slots to ${fix(r.compaction.slotsAfter)}. ${r.browser}, ${r.date}; \`node playwright/churn-bench.mjs\` (in \`make bench\`), results/churn.json.`,
    '',
    '| | churned | compacted | fresh | compacted ÷ fresh |',
    '|---|---:|---:|---:|---:|',
  ];
  for (const [label, cell, key] of rows) {
    const last = key ? ratio(r.compacted[key], r.fresh[key]) : label.startsWith('recall') ? `${r.compacted.recall_at_10 - r.fresh.recall_at_10 >= 0 ? '+' : ''}${fix(r.compacted.recall_at_10 - r.fresh.recall_at_10, 3)}` : '';
    lines.push(`| ${label} | ${cell(r.churned)} | ${cell(r.compacted)} | ${cell(r.fresh)} | ${last} |`);
  }
  return lines.join('\n');
}

const server = await serve(0, { isolated: true });
const profile = await mkdtemp(join(tmpdir(), 'ruvector-churn-'));
const browser = await launchPersistent(profile);
try {
  const page = await browser.newPage();
  page.on('console', (m) => console.log('page:', m.text()));
  await page.goto(`${server.url}/playwright/fixtures/facade.html`);
  await page.waitForFunction(() => window.rvReady === true);
  console.log(`churn: ${n} records, ${rounds} rounds`);
  const r = await page.evaluate(run, [n, rounds, SEED]);
  const out = { bench: 'churn', browser: `Chromium ${browser.browser()?.version() ?? ''}`, date: new Date().toISOString().slice(0, 10), ...r };
  console.log(JSON.stringify(out, null, 2));
  if (!CI) {
    const dir = join(ROOT, 'benches', 'results');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'churn.json'), JSON.stringify(out, null, 2) + '\n');
    await splice('benches/README.md', 'churn', table(out));
    console.log('wrote benches/results/churn.json and the churn table in benches/README.md');
  } else {
    console.log(table(out));
  }
} finally {
  await browser.close();
  await server.close();
  await rm(profile, { recursive: true, force: true });
}
