// Regenerates demo/data/ from ../shared/data/debian-minilm-20k: the first N entries of the
// base set (a random sample of Debian packages; the set is stored in seeded random order),
// vectors as raw little-endian float32, names, short descriptions and sections as JSON, and
// the sections with their counts.
// Usage: node scripts/demo-slice.mjs [N=10000]
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = join(root, '..', 'shared', 'data', 'debian-minilm-20k');
const out = join(root, 'demo', 'data');
const n = Number(process.argv[2] ?? 10000);

const fvecs = await readFile(join(src, 'base.fvecs'));
const dim = fvecs.readInt32LE(0);
const vectors = new Float32Array(n * dim);
for (let i = 0; i < n; i++) {
  const off = i * 4 * (dim + 1);
  if (fvecs.readInt32LE(off) !== dim) throw new Error(`row ${i}: bad dimension`);
  for (let j = 0; j < dim; j++) vectors[i * dim + j] = fvecs.readFloatLE(off + 4 + 4 * j);
}
const lines = async (f) => (await readFile(join(src, f), 'utf8')).split('\n').filter(Boolean).slice(0, n).map((l) => JSON.parse(l));
const [texts, meta] = await Promise.all([lines('texts.jsonl'), lines('metadata.jsonl')]);
const packages = texts.map((t, i) => {
  if (meta[i].id !== t.id) throw new Error(`row ${i}: texts and metadata disagree`);
  return [t.id, t.text, meta[i].section];
});
await mkdir(out, { recursive: true });
await writeFile(join(out, 'vectors.f32'), Buffer.from(vectors.buffer));
await writeFile(join(out, 'packages.json'), JSON.stringify({ dim, fields: ['id', 'text', 'section'], rows: packages }));
// The section filter's options, most common first, without reading every row at start-up.
const counts = new Map();
for (const [, , section] of packages) counts.set(section, (counts.get(section) ?? 0) + 1);
const sections = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
await writeFile(join(out, 'sections.json'), JSON.stringify({ total: n, sections }));
console.log(`demo/data: ${n} x ${dim} vectors, ${packages.length} packages`);
