// Probe worker (probes/reopen.mjs): builds a seeded n x dim float32 database, optionally
// searches and waits (timing the longest a search waits while idle), then closes and reopens
// it `rounds` times, posting each round's close time (and the longest a search waited
// meanwhile), open time, time to the first query, read and rebuild times and where the pages
// came from. MODE=idb removes the OPFS page cache before every reopen, MODE=mix before every
// other.
const build = new URL(self.location.href).searchParams.get('simd') === '0' ? 'scalar' : 'simd';
const rv = await import(new URL(`../../web/pkg/${build}/ruvector.js`, import.meta.url).href);
await rv.default();
const { now, dropCache } = await import('../fixtures/measure.js');
const ms = (x) => Math.round(x);

self.onmessage = async ({ data }) => {
  const { n, dim, rounds, mode, sweep, idle } = data;
  let s = 12345;
  const rnd = () => { s = (s * 1103515245 + 12345) >>> 0; return s / 4294967296 - 0.5; };
  const base = new Float32Array(n * dim);
  for (let i = 0; i < base.length; i++) base[i] = rnd();
  const ids = Array.from({ length: n }, (_, i) => String(i));
  const name = `probe-${Date.now()}`;
  await rv.call('open', { name, options: { dimensions: dim, metric: 'cosine' } });
  let t = now();
  for (let i = 0; i < n; i += 1000) {
    await rv.call('insertPacked', { name, vectors: base.subarray(i * dim, Math.min(n, i + 1000) * dim), ids: ids.slice(i, i + 1000) });
  }
  postMessage({ log: `built ${n} in ${ms(now() - t)} ms` });
  if (sweep) {
    const keep = [];
    for (let q = 0; q < sweep; q++) {
      const v = base.subarray((q % n) * dim, (q % n + 1) * dim);
      keep.push((await rv.call('search', { name, vector: v, options: { k: 10, ef: 64 } })).ids.map(Number));
    }
    postMessage({ log: `${keep.length} searches` });
  }
  if (idle) {
    // Idle: the checkpoint and the cache write run now; a search every 5 ms meanwhile.
    let longest = 0;
    const until = now() + idle;
    while (now() < until) {
      const asked = now();
      await new Promise((res) => setTimeout(res, 5));
      await rv.call('search', { name, vector: base.subarray(0, dim), options: { k: 10 } });
      longest = Math.max(longest, now() - asked - 5);
    }
    postMessage({ log: `idle for ${idle} ms: the longest a search waited was ${ms(longest)} ms` });
    const st = await rv.call('stats', { name });
    postMessage({ log: `after ${idle} ms idle: ${st.storage.checkpoints} checkpoints, ${st.persistence.cacheWrites} cache writes (the last ${Math.round(st.persistence.cacheWriteMs)} ms)` });
  }
  const out = [];
  for (let r = 0; r < rounds; r++) {
    // While closing (a fold and a cache write, the first time), a timer asks for a search every
    // 5 ms: the longest wait says how long the worker went without answering.
    let closing = true;
    let longest = 0;
    const ping = (async () => {
      while (closing) {
        const asked = now();
        await new Promise((res) => setTimeout(res, 5));
        await rv.call('search', { name, vector: base.subarray(0, dim), options: { k: 10 } }).catch(() => {});
        longest = Math.max(longest, now() - asked - 5);
      }
    })();
    const tc = now();
    await rv.call('close', { name });
    const close = now() - tc;
    closing = false;
    await ping;
    if (mode === 'idb' || (mode === 'mix' && r % 2)) await dropCache(name);
    t = now();
    const o = await rv.call('open', { name, options: {} });
    const opened = now();
    await rv.call('search', { name, vector: base.subarray(0, dim), options: { k: 10 } });
    out.push({
      close_ms: ms(close), longest_wait_while_closing_ms: ms(longest), open_ms: ms(opened - t), first_query_ms: ms(now() - t),
      read_ms: ms(o.persistence.openReadMs), rebuild_ms: ms(o.persistence.openDecodeMs), from_cache: o.persistence.openFromCache,
    });
  }
  await rv.call('deleteDatabase', { name });
  postMessage({ out });
};
postMessage({ ready: true });
