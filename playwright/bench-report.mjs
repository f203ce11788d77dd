// Turns benches/results/browser-peers.json into the peers tables of benches/README.md, the
// headline of README.md (between their `peers:` / `headline:` markers) and benches/report.html,
// whose charts are drawn here as inline SVG (no script, no CDN). `make bench` calls it after
// the run; `node playwright/bench-report.mjs` regenerates everything (screenshot included) from
// the JSON alone.
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT } from './server.mjs';
import { lineChart, barChart } from './svg-charts.mjs';

const TARGET = 0.95;

/** QPS at recall@10 = `target` along a sweep ordered by ef, as `qps_at_recall` in benches/src/lib.rs. */
export function qpsAtRecall(points, target = TARGET) {
  const pts = points.filter((p) => Number.isFinite(p.recall10) && Number.isFinite(p.qps));
  const i = pts.findIndex((p) => p.recall10 >= target);
  if (i < 0) return null;
  if (i === 0) return pts[0].qps;
  const [a, b] = [pts[i - 1], pts[i]];
  const t = b.recall10 > a.recall10 ? (target - a.recall10) / (b.recall10 - a.recall10) : 1;
  return Math.exp(Math.log(a.qps) + t * (Math.log(b.qps) - Math.log(a.qps)));
}

const int = (x) => (x == null || !Number.isFinite(x) ? '–' : Math.round(x).toLocaleString('en-US'));
const fix = (x, d) => (x == null || !Number.isFinite(x) ? '–' : x.toFixed(d));
const failure = (step) => step?.error ?? step?.unsupported;
/** Why a system has no cold-open time: its save or its load failed. */
const whyNoOpen = (s) => (failure(s.persist) ? `save: ${failure(s.persist)}` : `load: ${failure(s.reopen?.[0])}`);
/** Where the run kept IndexedDB (runs before `storage` was recorded kept it in memory). */
const where = (run) => (run.storage === 'disk' ? 'IndexedDB on disk' : 'IndexedDB in memory');
const best = (xs) => xs.reduce((a, b) => (b.value > a.value ? b : a), { value: -Infinity });

/** Everything the tables and charts need, computed once. */
export function summarise(run) {
  const ok = run.systems.filter((s) => !s.error);
  const ours = ok.find((s) => s.id === 'ruvector');
  const int8 = ok.find((s) => s.id === 'ruvector-int8');
  const peers = ok.filter((s) => !s.id.startsWith('ruvector'));
  const at = Object.fromEntries(ok.map((s) => [s.id, qpsAtRecall(s.search)]));
  const hnswPeers = peers.filter((s) => s.kind === 'hnsw');
  const bestQps = best(peers.filter((s) => at[s.id] != null).map((s) => ({ name: s.system, value: at[s.id] })));
  const bestBuild = best(hnswPeers.map((s) => ({ name: s.system, value: s.build.inserts_per_s })));
  const ancestor = peers.find((s) => s.id === 'ancestor');
  const open = (s) => {
    const rounds = (s.reopen ?? []).filter((r) => !r.error);
    return rounds.length ? rounds.reduce((a, b) => (b.total_ms < a.total_ms ? b : a)) : null;
  };
  return {
    ours, int8, peers, at, bestQps, bestBuild, open, page: pageSummary(run, ours),
    ratios: ours && {
      qps: peers.map((s) => ({ name: s.system, value: at[s.id] != null && at.ruvector != null ? at.ruvector / at[s.id] : null })),
      qpsBest: bestQps.name ? at.ruvector / bestQps.value : null,
      qpsInt8Best: bestQps.name && at['ruvector-int8'] != null ? at['ruvector-int8'] / bestQps.value : null,
      build: bestBuild.name ? ours.build.inserts_per_s / bestBuild.value : null,
      flat: ancestor && ours.flat?.qps ? ours.flat.qps / ancestor.search[0].qps : null,
    },
  };
}

/**
 * The page path (`run.page`): ours through the facade and hnswlib-wasm called on the page,
 * with the ratios the README's headline quotes; null for a run without it.
 */
function pageSummary(run, inWorker) {
  const ok = (run.page ?? []).filter((s) => !s.error);
  const ours = ok.find((s) => s.id === 'ruvector');
  const hnsw = ok.find((s) => s.id === 'hnswlib');
  if (!ours || !hnsw) return null;
  const int8 = ok.find((s) => s.id === 'ruvector-int8');
  const hnswWorker = run.systems.find((s) => s.id === 'hnswlib' && !s.error);
  const at = (s) => (s ? qpsAtRecall(s.search) : null);
  const ratio = (a, b) => (a != null && b ? a / b : null);
  const ef16 = (s) => s?.search.find((p) => p.ef === 16);
  const bytes = (s) => s.bytes.gzip;
  return {
    ok, ours, int8, hnsw,
    qps: ratio(at(ours), at(hnsw)),
    qpsInt8: ratio(at(int8), at(hnsw)),
    qpsVsWorker: ratio(at(ours), at(hnswWorker)),
    qpsBatch: ratio(ours.batch?.length ? qpsAtRecall(ours.batch) : null, at(hnsw)),
    batch: (ours.batch ?? []).map((b) => ({ ef: b.ef, value: ratio(b.qps, inWorker?.search.find((p) => p.ef === b.ef)?.qps) })),
    overhead: ef16(ours) && ours.echo_p50_us && ef16(inWorker) ? ef16(ours).p50_us - ours.echo_p50_us - ef16(inWorker).p50_us : null,
    stall: ours.after_bulk ? ratio(ours.after_bulk.busy.p99_us, ours.after_bulk.idle.p99_us) : null,
    first: ours.first_search ? ratio(ours.first_search.first_us, ours.first_search.next.p50_us) : null,
    memory: ratio(ours.wasm_memory_bytes, hnsw.wasm_memory_bytes),
    bytes: ratio(bytes(ours), bytes(hnsw)),
    build: ratio(ours.build.inserts_per_s, hnsw.build.inserts_per_s),
  };
}

/** Why each target of the page path this run misses is missed, with the run's own figures. */
function missed(run, pg) {
  const o = pg.ours;
  const inWorker = run.systems.find((s) => s.id === 'ruvector' && !s.error);
  const p50 = (s, ef) => s?.search.find((p) => p.ef === ef)?.p50_us;
  const why = [];
  if (pg.qps != null && pg.qps < 2.5) {
    why.push(`- **QPS through the facade (${fix(pg.qps, 2)}× against ≥ 2.5×):** one query in flight, every search through the facade pays a postMessage round trip (${int(o.echo_p50_us)} µs p50 bare, in this run) before the search; hnswlib-wasm called on the page pays none. At ef 16 our search inside the worker takes ${int(p50(inWorker, 16))} µs p50 and hnswlib-wasm's on the page ${int(p50(pg.hnsw, 16))} µs: the round trip costs about as much as the search. \`searchMany\` pays it once per batch (${fix(pg.qpsBatch, 2)}× hnswlib-wasm's QPS).`);
  }
  if (pg.overhead != null && pg.overhead > 50) {
    why.push(`- **p50 over the floor (${int(pg.overhead)} µs against ≤ 50):** a search through the facade (${int(p50(o, 16))} µs at ef 16) costs more than a bare round trip plus the same search in a loop inside the worker: the reply's clone and the facade are a few tens of µs, and a worker that wakes for each message searches about twice as slowly as one searching back to back (its caches cold; \`playwright/probes/call-path.mjs\` shows both).`);
  }
  if (pg.first != null && pg.first > 1.5) {
    why.push(`- **first search after a reopen (${fix(pg.first, 1)}× the next ones, ${int(o.first_search.first_us)} µs):** \`open\` runs one uncounted search so that the search path is compiled (it took 4.9 ms before); what is left is V8 moving that code up to its optimising tier as searches come, and the first reply on a fresh worker.`);
  }
  if (pg.memory != null && pg.memory > 1) {
    // Float32 rows with their norms, and layer 0 of the graph (2m links and a count a node).
    const data = o.n * (o.dim * 4 + 4) + o.n * (2 * o.m + 1) * 4;
    why.push(`- **wasm memory (${fix(pg.memory, 2)}× hnswlib-wasm's):** the vectors and the graph's layer 0 are ${fix(data / 2 ** 20, 1)} MiB of our ${fix(o.wasm_memory_bytes / 2 ** 20, 1)}; the rest is what a build's batches and its checkpoint copied through memory, which WebAssembly never gives back. hnswlib-wasm allocates its whole index once, for the n it is told up front. (After this run's export, our worker held ${fix(o.wasm_memory_bytes_end / 2 ** 20, 0)} MiB: an export is built whole in memory.)`);
  }
  if (pg.bytes != null && pg.bytes > 1) {
    why.push(`- **bytes loaded (${fix(pg.bytes, 2)}× hnswlib-wasm's):** ours is a database (IndexedDB, the OPFS page cache, Web Locks, recovery, filters, metadata as JSON, int8 and binary tiers) where hnswlib-wasm is an index whose persistence is Emscripten's IDBFS; no part of it loads lazily yet (\`scripts/build-web.sh\` keeps the history of every change).`);
  }
  return why.length ? ['Where this run misses a target, and why:', '', ...why, ''] : [];
}

/** The page path's tables (benches/README.md), or nothing for a run without it. */
function pageMarkdown(run, sum) {
  const pg = sum.page;
  if (!pg) return [];
  const lines = [
    `### Through the public API, from a page (${run.browser}, ${run.dataset}, ${where(run)}; one run)`,
    '',
    "Ours is `open()` and `search()` from web/index.js on the page's main thread (the engine in the worker the facade starts); hnswlib-wasm is called on the page, as its README shows. Every figure of README.md's headline comes from this table.",
    '',
    '| ratio (same run) | value | target |',
    '|---|---:|---:|',
    `| our QPS through the facade ÷ hnswlib-wasm's on the page, at recall@10 = ${TARGET} | **${fix(pg.qps, 2)}×** | ≥ 2.5× |`,
    ...(pg.int8 ? [`| the same with \`quantization: 'int8'\` | ${fix(pg.qpsInt8, 2)}× | |`] : []),
    `| our QPS through the facade ÷ hnswlib-wasm's in a worker, at recall@10 = ${TARGET} | ${fix(pg.qpsVsWorker, 2)}× | |`,
    `| our QPS with searchMany (batches of 100) ÷ hnswlib-wasm's on the page, at recall@10 = ${TARGET} | ${fix(pg.qpsBatch, 2)}× | |`,
    `| searchMany, batches of 100: QPS ÷ our in-worker QPS (ef ${pg.batch.map((b) => b.ef).join(', ')}) | ${pg.batch.map((b) => `${fix(b.value, 2)}×`).join(', ')} | ≥ 0.9× |`,
    `| p50 at ef 16 through the facade − (bare round trip + our in-worker p50) | ${int(pg.overhead)} µs | ≤ 50 µs |`,
    `| p99 at ef 64 right after a bulk insert ÷ after ${fix((pg.ours.after_bulk?.idle_ms ?? 0) / 1000, 0)} s idle | ${fix(pg.stall, 2)}× | ≤ 2× |`,
    `| first search after a reopen (fresh worker) ÷ the next searches' p50 | ${fix(pg.first, 1)}× | 1× |`,
    `| build rate through the facade (durable) ÷ hnswlib-wasm's on the page (in memory) | ${fix(pg.build, 2)}× | |`,
    `| wasm memory after the build: ours ÷ hnswlib-wasm's | ${fix(pg.memory, 2)}× | ≤ 1× |`,
    `| bytes a page loads before its first search, gzip: ours ÷ hnswlib-wasm's | ${fix(pg.bytes, 2)}× | ≤ 1× |`,
    '',
    ...missed(run, pg),
    '| system | path | build inserts/s | ef | QPS | recall@10 | p50 µs | p99 µs |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const s of pg.ok) {
    const path = s.id.startsWith('ruvector') ? 'facade' : 'on the page';
    s.search.forEach((p, i) => lines.push(`| ${i ? '' : `${s.system} ${s.version}`} | ${i ? '' : path} | ${i ? '' : int(s.build.inserts_per_s)} | ${p.ef} | ${int(p.qps)} | ${fix(p.recall10, 4)} | ${int(p.p50_us)} | ${int(p.p99_us)} |`));
    (s.batch ?? []).forEach((p, i) => lines.push(`| ${i ? '' : `${s.system}`} | ${i ? '' : `searchMany, ${p.batch} a call`} | | ${p.ef} | ${int(p.qps)} | ${fix(p.recall10, 4)} | | |`));
  }
  const o = pg.ours;
  if (o.after_bulk) {
    const b = o.after_bulk;
    lines.push('', `Right after one \`insertMany\` of ${int(b.n)} vectors (${fix(b.insert_s, 1)} s), searches at ef ${b.ef} for ${fix(b.busy_ms / 1000, 0)} s, then the same after ${fix(b.idle_ms / 1000, 0)} s idle; reopened (a fresh worker), its first search; bare postMessage round trip of one query: ${int(o.echo_p50_us)} µs p50.`, '',
      '| when | searches | p50 µs | p99 µs | max µs |', '|---|---:|---:|---:|---:|',
      `| right after the bulk insert | ${int(b.busy.queries)} | ${int(b.busy.p50_us)} | ${int(b.busy.p99_us)} | ${int(b.busy.max_us)} |`,
      `| idle | ${int(b.idle.queries)} | ${int(b.idle.p50_us)} | ${int(b.idle.p99_us)} | ${int(b.idle.max_us)} |`,
      ...(o.first_search ? [`| first search after a reopen (open: ${fix(o.first_search.open_ms, 0)} ms) | 1 | ${int(o.first_search.first_us)} | | |`,
        `| the next ones | ${int(o.first_search.next.queries)} | ${int(o.first_search.next.p50_us)} | ${int(o.first_search.next.p99_us)} | ${int(o.first_search.next.max_us)} |`] : []));
  }
  lines.push('', 'The in-worker tables below are the same engines without the message round trip (ours: `call()` inside the worker; peers: their calls inside a worker): a breakdown, not what an app gets.', '');
  return lines;
}

function markdown(run, sum) {
  const { ours, ratios } = sum;
  const lines = [
    ...pageMarkdown(run, sum),
    `### Beside the other browser vector databases (${run.browser}, ${run.dataset}, ${run.n}×${run.systems[0]?.dim ?? ''}, ${run.queries} queries, k = 10, m = 16, ef_construction = 200; ${where(run)}; each system alone in a fresh dedicated worker, one run)`,
    '',
    '| ratio (same run) | value | target |',
    '|---|---:|---:|',
    ...ratios.qps.map((r) => `| our search QPS ÷ ${r.name}'s at recall@10 = ${TARGET} | ${fix(r.value, 2)}× | |`),
    `| our search QPS ÷ the best peer's (${sum.bestQps.name}) at recall@10 = ${TARGET} | **${fix(ratios.qpsBest, 2)}×** | ≥ 3× |`,
    ...(sum.int8 ? [`| our search QPS with \`quantization: 'int8'\` ÷ the best peer's at recall@10 = ${TARGET} | **${fix(ratios.qpsInt8Best, 2)}×** | ≥ 3× |`] : []),
    `| our search QPS at recall@10 = ${TARGET}, one worker | ${int(sum.at.ruvector)}${sum.int8 ? ` (int8: ${int(sum.at['ruvector-int8'])})` : ''} | ≥ 10,000 |`,
    `| our build rate (durable: each batch committed to IndexedDB) ÷ the best HNSW peer's (${sum.bestBuild.name}, in memory) | **${fix(ratios.build, 2)}×** | ≥ 1.5× |`,
    `| our exact (flat) QPS ÷ @ruvector/wasm's | **${fix(ratios.flat, 1)}×** | ≥ 10× |`,
    '',
    '| system | build inserts/s | ef | QPS | recall@10 | p50 µs | p99 µs |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const s of run.systems) {
    if (s.error) { lines.push(`| ${s.system} | failed: ${s.error} | | | | | |`); continue; }
    s.search.forEach((p, i) => lines.push(`| ${i ? '' : `${s.system} ${s.version}`} | ${i ? '' : int(s.build.inserts_per_s)} | ${p.ef ?? 'exact'} | ${int(p.qps)} | ${fix(p.recall10, 4)} | ${int(p.p50_us)} | ${int(p.p99_us)} |`));
    if (s.flat && !failure(s.flat)) lines.push(`| ${s.system} exact index | ${int(s.flat.inserts_per_s)} | exact | ${int(s.flat.qps)} | ${fix(s.flat.recall10, 4)} | ${int(s.flat.p50_us)} | ${int(s.flat.p99_us)} |`);
  }
  const quantised = ['ruvector-int8', 'ruvector-binary'].map((id) => run.systems.find((s) => s.id === id && !s.error)).filter(Boolean);
  if (ours && quantised.length) {
    const at64 = (s) => s.search.find((p) => p.ef === 64)?.recall10;
    lines.push('', `Quantisation (issue #9), same run: each mode against float32 (${ours.system}).`, '',
      '| mode | QPS at recall@10 = 0.95 ÷ float32 (target ≥ 1.5×) | recall@10 at ef 64 − float32\'s (int8 target: within 0.01) |',
      '|---|---:|---:|');
    for (const s of quantised) {
      lines.push(`| ${s.system} | ${fix(sum.at[s.id] / sum.at.ruvector, 2)}× | ${fix(at64(s) - at64(ours), 4)} |`);
    }
  }
  lines.push('', `Filtered search (ef = 64 where the system has one; exact truth among the matching vectors):`, '',
    '| system | filter | matches | QPS | recall@10 |', '|---|---|---:|---:|---:|');
  for (const s of [ours, sum.int8, ...sum.peers].filter(Boolean)) {
    for (const f of s.filtered) lines.push(`| ${s.system} | ${f.filter} | ${fix(100 * f.selectivity, 1)}% | ${f.error ? `failed: ${f.error}` : int(f.qps)} | ${fix(f.recall10, 4)} |`);
  }
  lines.push('', 'Opening, saving, moving, size (cold open: a fresh worker, from its first line to the first answer, best of 3; library = loading the module and instantiating the wasm):', '',
    '| system | cold open to first query ms | of which library ms | save ms | export ms (bytes) | import ms | wasm memory after build MiB | JS heap after build MiB | loaded KiB gzip (raw) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const s of [ours, sum.int8, ...sum.peers].filter(Boolean)) {
    const o = sum.open(s);
    const openCell = o ? `${fix(o.total_ms, 0)}${o.from_cache ? '†' : ''}${o.same_answers ? '' : ' (answers differ!)'}` : `fails: ${whyNoOpen(s)}`;
    const exp = failure(s.export) ? `– (${failure(s.export)})` : `${fix(s.export.export_ms, 0)} (${int(s.export.bytes)})`;
    lines.push(`| ${s.system} | ${openCell} | ${o ? fix(o.library_ms, 0) : '–'} | ${failure(s.persist) ? '–' : fix(s.persist.save_ms, 0)} | ${exp} | ${fix(s.export?.import_ms, 0)} | ${fix(s.wasm_memory_bytes / 2 ** 20, 1)} | ${s.js_heap_bytes == null ? '–' : fix(s.js_heap_bytes / 2 ** 20, 1)} | ${fix(s.bytes.gzip / 1024, 1)} (${fix(s.bytes.raw / 1024, 1)}) |`);
  }
  if ([ours, sum.int8].some((s) => s && sum.open(s)?.from_cache)) {
    lines.push('', '† its pages read from the OPFS page cache that `close` wrote (manifest and log from IndexedDB; docs/engine.md, "The page cache").');
  }
  lines.push('', 'How each system was driven:', '', ...run.systems.map((s) => `- **${s.system}**: ${s.notes ?? s.error}.`),
    '', 'Charts: [report.html](report.html) (screenshot: [report.png](report.png)).', '');
  return lines.join('\n');
}

function headline(run, sum) {
  const pg = sum.page;
  if (pg) {
    const o = sum.open(sum.ours);
    const h = sum.open(sum.peers.find((s) => s.id === 'hnswlib'));
    return [
      `From one run of \`make bench\` (${run.browser}, ${run.dataset}, ${where(run)}), through the public API: ours`,
      `\`open()\` and \`search()\` from a page, hnswlib-wasm${sum.bestQps.name === pg.hnsw.system ? " (the worker run's fastest peer)" : ''} called on the page; tables in`,
      '[benches/README.md](benches/README.md):',
      '',
      `- search at recall@10 = ${TARGET}: ${fix(pg.qps, 2)}× hnswlib-wasm's QPS${pg.int8 ? `, ${fix(pg.qpsInt8, 2)}× with \`quantization: 'int8'\`` : ''}, one query in flight;`,
      `- with \`searchMany\` in batches of 100: ${fix(pg.qpsBatch, 2)}× hnswlib-wasm's QPS (${fix(pg.batch.find((b) => b.ef === 64)?.value, 2)}× our own in-worker QPS at ef 64);`,
      `- build rate, durable, ${fix(pg.build, 2)}× hnswlib-wasm's in memory;`,
      ...(o && h ? [`- cold open to the first query in a fresh worker: ${fix(o.total_ms / h.total_ms, 2)}× hnswlib-wasm's time.`] : []),
      '',
    ].join('\n');
  }
  const r = sum.ratios;
  const best = r.qps.reduce((a, x) => (x.value < a.value ? x : a), r.qps[0]);
  const opens = sum.peers.filter((s) => sum.open(s));
  return [
    `From one run of \`make bench\` (${run.browser}, ${run.dataset}, ${where(run)}; each system alone in a worker,`,
    'search and build timed inside the worker; tables in [benches/README.md](benches/README.md)):',
    '',
    ...(best ? [`- search at recall@10 = ${TARGET}: ${fix(best.value, 2)}× the QPS of the fastest peer (${best.name})${sum.int8 ? `, ${fix(r.qpsInt8Best, 2)}× with \`quantization: 'int8'\`` : ''};`] : []),
    `- build rate, durable, ${fix(r.build, 2)}× ${sum.bestBuild.name}'s in memory;`,
    ...opens.map((s) => `- cold open to the first query in a fresh worker: ${fix(sum.open(sum.ours).total_ms / sum.open(s).total_ms, 2)}× ${s.system}'s time.`),
    '',
  ].join('\n');
}

function html(run, sum) {
  const ok = [sum.ours, sum.int8, ...sum.peers].filter(Boolean);
  const curves = ok.map((s) => ({ name: `${s.system} ${s.version}`, points: s.search.map((p) => ({ x: p.recall10, y: p.qps, label: p.ef ?? 'exact' })) }));
  const charts = [
    lineChart({ title: `Recall@10 against queries per second (up and right is better; ef ${run.efs.join(', ')})`, xLabel: 'recall@10', yLabel: 'queries/s (log)', series: curves, xMin: 0.9, marker: TARGET }),
    barChart({ title: 'Build: inserts per second (ours durable, peers in memory)', unit: 'inserts/s', items: ok.map((s) => ({ label: s.kind === 'flat' ? `${s.system} (builds no index)` : s.system, value: s.build.inserts_per_s })) }),
    barChart({ title: 'Cold open to first query, ms (fresh worker; lower is better)', unit: 'ms', items: ok.map((s) => {
      const o = sum.open(s);
      return { label: s.system, value: o?.total_ms ?? null, note: o ? '' : `fails: ${whyNoOpen(s)}` };
    }) }),
    barChart({ title: 'Filtered search at 1% (section = graphics), QPS; recall in the label', unit: 'queries/s', items: ok.map((s) => {
      const f = s.filtered.find((x) => x.label === '1%');
      return { label: `${s.system} (recall ${fix(f?.recall10, 2)})`, value: f?.qps ?? null };
    }) }),
    barChart({ title: 'Bytes loaded: wasm + JS, KiB gzip (lower is better)', unit: 'KiB', items: ok.map((s) => ({ label: s.system, value: s.bytes.gzip / 1024 })) }),
    barChart({ title: 'Memory after the build, MiB: wasm memory + JavaScript heap (measureUserAgentSpecificMemory)', unit: 'MiB', items: ok.map((s) => ({ label: s.system, value: (s.wasm_memory_bytes + (s.js_heap_bytes ?? 0)) / 2 ** 20 })) }),
  ];
  const esc = (t) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  return `<!doctype html>
<html lang="en"><meta charset="utf-8"><title>ruvector-web: browser benchmarks</title>
<style>body{font:14px system-ui,sans-serif;max-width:980px;margin:24px auto;color:#222}h1{font-size:22px}
figure{margin:24px 0}pre{white-space:pre-wrap;background:#f6f6f6;padding:12px;font-size:12px}</style>
<h1>ruvector-web beside the other browser vector databases</h1>
<p>${esc(run.browser)}, ${esc(run.dataset)}: ${run.n} vectors × ${ok[0]?.dim}, ${run.queries} queries, k = 10; HNSW m = 16,
ef_construction = 200; ${where(run)}; each system alone in a fresh dedicated worker, one run. Generated from
<code>benches/results/browser-peers.json</code> by <code>playwright/bench-report.mjs</code>.</p>
${charts.map((c) => `<figure>${c}</figure>`).join('\n')}
<h2>Tables</h2>
<pre>${esc(markdown(run, sum))}</pre>
</html>
`;
}

// The scale runs' table (playwright/scale.mjs).
const MiB = (b) => (b / 2 ** 20).toFixed(0);

/** The scale table of benches/README.md, from every results/scale-*.json. */
export async function scaleTable(dir) {
  const files = (await readdir(dir)).filter((f) => /^scale-\d+-\w+\.json$/.test(f)).sort();
  const rows = [
    '| vectors × 384 | quantization | build, durable | wasm memory after build / reopen | in memory per vector: vectors + codes / graph / ids + metadata | IndexedDB | cold reopen to first query | ef | recall@10 | QPS | p99 |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const f of files) {
    const r = JSON.parse(await readFile(join(dir, f), 'utf8'));
    if (!r.ok) { rows.push(`| ${r.n.toLocaleString('en-US')} | ${r.quantization} | failed: ${r.error} | | | | | | | | |`); continue; }
    const m = r.memory_after_reopen;
    const per = (b) => (b / r.n).toFixed(0);
    for (const [i, p] of r.search.entries()) {
      const first = i === 0;
      rows.push(`| ${first ? r.n.toLocaleString('en-US') : ''} | ${first ? r.quantization : ''} | ${first ? `${r.build.seconds.toFixed(0)} s (${Math.round(r.build.inserts_per_s)}/s)` : ''} | ${first ? `${MiB(r.memory_after_build.wasm_bytes)} / ${MiB(m.wasm_bytes)} MiB` : ''} | ${first ? `${per(m.vectors + m.codes)} / ${per(m.graph)} / ${per(m.ids + m.metadata)} B (float32: ${r.dim * 4} B)` : ''} | ${first ? (r.storage_bytes ? `${MiB(r.storage_bytes)} MiB` : '–') : ''} | ${first ? `${(r.reopen.to_first_query_ms / 1000).toFixed(1)} s` : ''} | ${p.ef}${p.rescore ? ' + rescore' : ''} | ${p.recall10.toFixed(3)} | ${Math.round(p.qps).toLocaleString('en-US')} | ${Math.round(p.p99_us)} µs |`);
    }
  }
  return rows.join('\n');
}

/** Replaces the text between `<!-- ${tag}:begin … -->` and `<!-- ${tag}:end -->` in `file`. */
export async function splice(file, tag, text) {
  const path = join(ROOT, file);
  const old = await readFile(path, 'utf8');
  const begin = old.indexOf(`<!-- ${tag}:begin`);
  const end = old.indexOf(`<!-- ${tag}:end -->`);
  if (begin < 0 || end < 0) throw new Error(`${file} has no ${tag}:begin / ${tag}:end markers`);
  const open = old.indexOf('-->', begin) + 3;
  await writeFile(path, `${old.slice(0, open)}\n${text}\n${old.slice(end)}`);
}

/** The report page, the benches/README.md tables and the README.md headline, as text. */
export function render(run) {
  const sum = summarise(run);
  if (!sum.ours) throw new Error('the run has no ruvector-web result to compare');
  return { html: html(run, sum), markdown: markdown(run, sum), headline: headline(run, sum) };
}

/** Writes benches/report.html and the peers tables of benches/README.md and README.md. */
export async function writeReports(run) {
  const out = render(run);
  await writeFile(join(ROOT, 'benches', 'report.html'), out.html);
  await splice('benches/README.md', 'peers', out.markdown);
  await splice('README.md', 'headline', out.headline);
  console.log('wrote benches/report.html, the peers tables in benches/README.md and the headline in README.md');
}

/** How many of the page's SVG charts have a visible size and something drawn in them. */
export const chartsDrawn = (page) => page.evaluate(() => [...document.querySelectorAll('svg')]
  .filter((s) => s.getBBox().width > 0 && s.querySelector('path, rect')).length);

/** Opens the report in `page` and saves benches/report.png; fails if a chart did not render. */
export async function screenshotReport(page, url) {
  await page.goto(`${url}/benches/report.html`);
  const drawn = await chartsDrawn(page);
  if (drawn < 6) throw new Error(`report.html rendered ${drawn} of 6 charts`);
  await page.screenshot({ path: join(ROOT, 'benches', 'report.png'), fullPage: true });
  console.log(`wrote benches/report.png (${drawn} charts rendered)`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await writeReports(JSON.parse(await readFile(join(ROOT, 'benches', 'results', 'browser-peers.json'), 'utf8')));
  const { serve } = await import('./server.mjs');
  const { launch } = await import('./browser.mjs');
  const server = await serve(0);
  const browser = await launch();
  try {
    await screenshotReport(await browser.newPage(), server.url);
  } finally {
    await browser.close();
    await server.close();
  }
}
