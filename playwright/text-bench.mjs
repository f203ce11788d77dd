// `make bench`, text part: known-item quality (MRR@10, recall@10) and speed of vector, text and
// hybrid search through the facade (playwright/fixtures/text-bench.js says how the queries are
// made and what is timed), in headless Chromium with IndexedDB on disk. Writes
// benches/results/text.json and the "Text and hybrid search" section of benches/README.md.
// RUVECTOR_TEXT_QUERIES=n: n target packages (300; two queries each).
import { writeFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { serve, ROOT } from './server.mjs';
import { launchPersistent } from './browser.mjs';
import { splice } from './bench-report.mjs';

const targets = Number(process.env.RUVECTOR_TEXT_QUERIES || 300);
const server = await serve(0, { mounts: { '/shared-data/': resolve(ROOT, '../shared/data') }, isolated: true });
const profile = await mkdtemp(join(tmpdir(), 'ruvector-text-bench-'));
const browser = await launchPersistent(profile, []);
let r;
try {
  const page = await browser.newPage();
  page.on('console', (m) => console.log('page:', m.text()));
  await page.goto(`${server.url}/playwright/fixtures/text-bench.html`);
  await page.waitForFunction(() => window.benchReady === true);
  r = await page.evaluate((n) => window.runTextBench({ queries: n }), targets);
} finally {
  await browser.close();
  await server.close();
  await rm(profile, { recursive: true, force: true });
}
if (!r.ok) throw new Error(`text bench failed: ${r.error}\n${r.stack}`);
const out = { bench: 'text', ...r.out };
const dir = join(ROOT, 'benches', 'results');
await mkdir(dir, { recursive: true });
await writeFile(join(dir, 'text.json'), JSON.stringify(out, null, 2) + '\n');
console.log(JSON.stringify(out, null, 2));

/** The benches/README.md section of `o` (benches/results/text.json). */
export function textMarkdown(o) {
  const f3 = (x) => x.toFixed(3);
  const us = (x) => `${Math.round(x)} µs`;
  const q = o.quality;
  const v = o.speed.vector;
  const best = Math.max(q.vector.mixed.mrr10, q.text.mixed.mrr10);
  const met = (ok) => (ok ? 'yes' : 'no');
  const lines = [
    '## Text and hybrid search',
    '',
    `\`node playwright/text-bench.mjs\` (part of \`make bench\`), ${o.dataset}, ${o.records.toLocaleString('en')} records indexed as`,
    `"<package>: <short description>", through the facade from a page (IndexedDB on disk). Queries: ${o.queries.targets} target`,
    `packages, ${o.queries.made}; each query's one relevant record is its target. Query vectors by ${o.embedder.name}`,
    `through \`ruvector-web/embedders/transformers\` on the page (${Math.round(o.embedder.queries_per_s)} queries/s).`,
    '',
    '| mode | MRR@10 names | MRR@10 fragments | MRR@10 mixed | recall@10 mixed | p50 | p99 | QPS | in worker |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const label = { vector: 'vector (ef 64)', text: 'text (BM25)', hybrid: 'hybrid (RRF, k 60)', 'hybrid-weighted': 'hybrid (weighted 0.5/0.5)' };
  for (const m of Object.keys(label).filter((m) => o.speed[m])) {
    const s = o.speed[m];
    lines.push(`| ${label[m]} | ${f3(q[m].name.mrr10)} | ${f3(q[m].fragment.mrr10)} | ${f3(q[m].mixed.mrr10)} | ${f3(q[m].mixed.recall10)} | ${us(s.p50_us)} | ${us(s.p99_us)} | ${Math.round(s.qps).toLocaleString('en')} | ${us(s.in_worker_us)} |`);
  }
  lines.push(
    '',
    '"in worker": one `searchMany` of every query, per query (the engine\'s cost plus a share of one round trip).',
    '',
    '| target | result | met? |',
    '|---|---|---|',
    `| hybrid (RRF, the default) MRR@10 ≥ the better of vector and text (mixed) | ${f3(q.hybrid.mixed.mrr10)} against ${f3(best)} | ${met(q.hybrid.mixed.mrr10 >= best)} |`,
    `| text-only latency ≤ vector-only's (p50) | ${us(o.speed.text.p50_us)} against ${us(v.p50_us)} | ${met(o.speed.text.p50_us <= v.p50_us)} |`,
    `| hybrid latency ≤ 1.5× vector-only's (p50) | ${(o.speed.hybrid.p50_us / v.p50_us).toFixed(2)}× | ${met(o.speed.hybrid.p50_us <= 1.5 * v.p50_us)} |`,
    `| insert rate with texts ≥ 0.7× without | ${Math.round(o.insert.text_rate).toLocaleString('en')} against ${Math.round(o.insert.plain_rate).toLocaleString('en')} records/s (${o.insert.ratio.toFixed(2)}×) | ${met(o.insert.ratio >= 0.7)} |`,
    '',
    ...(q.hybrid.mixed.mrr10 < best
      ? [
          `Why the fusion target is missed: every query here is made of words of its target's indexed text (its name, or its`,
          `description with words dropped), so BM25 ranks the target first far more often than the vectors do (MRR@10 ${f3(q.text.mixed.mrr10)}`,
          `against ${f3(q.vector.mixed.mrr10)}). RRF weighs both lists alike: a record at vector rank 1 and text rank 3 outscores the target at text`,
          `rank 1 and vector rank 10, so fusing with the weaker list costs MRR; the weighted sum of normalised scores keeps more of`,
          `BM25's lead (${f3(q['hybrid-weighted'].mixed.mrr10)}). Queries that share no word with their answer, which favour vectors, are not in this set.`,
          '',
        ]
      : []),
    `Text index: ${o.memory.terms.toLocaleString('en')} terms, ${o.memory.postings.toLocaleString('en')} postings; ${Math.round(o.memory.text_bytes_per_record)} bytes of memory per record`,
    `(texts included), ${Math.round(o.stored.index_bytes_per_record)} bytes stored per record (export with texts minus without: texts and postings);`,
    `wasm memory ${(o.memory.wasm_text / 2 ** 20).toFixed(1)} MiB with the text index, ${(o.memory.wasm_plain / 2 ** 20).toFixed(1)} MiB without (each database in its own worker).`,
  );
  return lines.join('\n');
}

await splice('benches/README.md', 'text', textMarkdown(out));
console.log('wrote benches/results/text.json and the text section of benches/README.md');
