// `make bench`, browser part: runs playwright/fixtures/bench-worker.js in headless Chromium
// (cross-origin isolated, for precise timers) on ../shared/data/debian-minilm-20k, or on a
// seeded synthetic set when that is absent, for the SIMD and the scalar build. Writes
// benches/results/browser-core.json; `report` turns it into tables beside the native run.
import { writeFile, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { serve, ROOT } from './server.mjs';
import { launch } from './browser.mjs';

const EFS = [16, 32, 64, 128, 256];
const server = await serve(0, { mounts: { '/shared-data/': resolve(ROOT, '../shared/data') }, isolated: true });
const browser = await launch();
try {
  const page = await browser.newPage();
  page.on('console', (m) => m.type() === 'error' && console.log('page:', m.text()));
  await page.goto(`${server.url}/playwright/fixtures/bench.html`);
  await page.waitForFunction(() => window.benchReady === true);
  const results = {};
  for (const simd of [true, false]) {
    const r = await page.evaluate(async ([efs, simd]) => {
      let data = await window.loadShared();
      let dataset = 'debian-minilm-20k';
      if (!data) {
        // Seeded fallback: clustered unit vectors, exact truth by brute force in the page.
        dataset = 'synthetic 20k x 384 (seeded)';
        let s = 12345;
        const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) - 0.5;
        const dim = 384, n = 20000, nq = 200;
        const centres = Array.from({ length: 200 }, () => Float32Array.from({ length: dim }, rnd));
        const make = (m) => {
          const out = new Float32Array(m * dim);
          for (let i = 0; i < m; i++) {
            const c = centres[Math.floor((rnd() + 0.5) * 200) % 200];
            let norm = 0;
            for (let j = 0; j < dim; j++) { const v = c[j] + 0.6 * rnd(); out[i * dim + j] = v; norm += v * v; }
            norm = Math.sqrt(norm);
            for (let j = 0; j < dim; j++) out[i * dim + j] /= norm;
          }
          return out;
        };
        const base = make(n), queries = make(nq);
        const truth = [];
        for (let q = 0; q < nq; q++) {
          const d = [];
          for (let i = 0; i < n; i++) { let dot = 0; for (let j = 0; j < dim; j++) dot += base[i * dim + j] * queries[q * dim + j]; d.push([-dot, i]); }
          d.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
          truth.push(d.slice(0, 10).map((x) => x[1]));
        }
        data = { base, queries, truth, dim };
      }
      const r = await window.runBench({ ...data, efs }, simd);
      return { dataset, ...r };
    }, [EFS, simd]);
    if (!r.ok) throw new Error(`benchmark failed: ${r.error}`);
    results[simd ? 'simd' : 'scalar'] = { dataset: r.dataset, ...r.out };
    console.log(simd ? 'simd' : 'scalar', JSON.stringify(r.out));
  }
  const dir = join(ROOT, 'benches', 'results');
  await mkdir(dir, { recursive: true });
  const browserVersion = browser.version();
  await writeFile(join(dir, 'browser-core.json'), JSON.stringify({ bench: 'browser-core', browser: `Chromium ${browserVersion}`, ...results }, null, 2) + '\n');
  console.log('wrote benches/results/browser-core.json');
} finally {
  await browser.close();
  await server.close();
}
