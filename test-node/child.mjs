// A second process for the Node tests: `node child.mjs <dir> <name> <what>`; CHILD_THREAD=main
// runs the engine in the calling thread (`thread: 'main'`).
//   hold    opens the database and keeps it open until killed ("open" on stdout once it is)
//   writer  inserts one vector at a time, printing each acknowledged id, until killed
//   idle    opens, inserts one vector and returns without closing (the process must exit)
//   fill    inserts until a write fails; prints the acknowledged count and the error's code
//   memory  inserts 384-d chunks until a write fails (run it with a capped WebAssembly memory);
//           prints the acknowledged count, the error, and what the database still answers
//   churn   rounds of replacing every vector of 2,000 records (ids c0..c1999, round r's vector
//           churnVec(i, r)), each round's end printed ("round r"), then a compaction
//           ("compacting r" before it, "compacted r" after), until killed
import { open } from '../node/index.js';

const [dir, name, what] = process.argv.slice(2);
const say = (s) => process.stdout.write(`${s}\n`);
const vec = (i) => Float32Array.from({ length: 8 }, (_, j) => Math.sin(i * 8 + j) + 1.5);

const thread = process.env.CHILD_THREAD ?? 'worker';
/** Round `r`'s vector of record `i` in `churn`. */
const churnVec = (i, r) => Float32Array.from({ length: 8 }, (_, j) => Math.sin((i + r * 7919) * 8 + j) + 1.5);

const compaction = what === 'churn' ? 'manual' : 'auto';
const db = await open(name, { path: dir, dimensions: what === 'memory' ? 384 : 8, durability: what === 'relaxed' ? 'relaxed' : 'strict', thread, compaction });
if (what === 'hold') {
  say('open');
  setInterval(() => {}, 1 << 30);
} else if (what === 'writer' || what === 'relaxed') {
  say('open');
  for (let i = await db.count(); ; i++) {
    await db.insert({ id: `v${i}`, vector: vec(i), metadata: { i } });
    say(`v${i}`);
  }
} else if (what === 'memory') {
  let acked = 0;
  try {
    for (let i = 0; ; i++) {
      await db.insertMany({ vectors: Float32Array.from({ length: 384 * 1000 }, (_, j) => Math.sin(i * 384_000 + j)) });
      acked += 1000;
    }
  } catch (e) {
    const hits = await db.search(Float32Array.from({ length: 384 }, (_, j) => Math.sin(j)), { k: 3 });
    say(JSON.stringify({ acked, code: e.code, message: e.message, count: await db.count(), hits: hits.length }));
  }
  await db.close();
  say('closed');
} else if (what === 'churn') {
  const n = 2000;
  const ids = Array.from({ length: n }, (_, i) => `c${i}`);
  // Resume after the last round this database holds (c0 carries its round in its metadata).
  let r = ((await db.get('c0'))?.metadata?.round ?? -1) + 1;
  for (; ; r++) {
    for (let at = 0; at < n; at += 500) {
      await Promise.all(ids.slice(at, at + 500).map((id, k) => db.upsert(id, { vector: churnVec(at + k, r), metadata: { round: r } })));
    }
    say(`round ${r}`);
    say(`compacting ${r}`);
    await db.compact();
    say(`compacted ${r}`);
  }
} else if (what === 'idle') {
  await db.insert({ id: 'only', vector: vec(0) });
  say('inserted');
} else if (what === 'fill') {
  let acked = 0;
  try {
    for (let i = 0; ; i++) {
      await db.insertMany({ vectors: Float32Array.from({ length: 8 * 200 }, (_, j) => Math.cos(i * 1600 + j) + 1.5) });
      acked += 200;
    }
  } catch (e) {
    say(JSON.stringify({ acked, code: e.code, message: e.message, count: await db.count() }));
  }
  await db.close();
}
