// Probe worker (probes/call-path.mjs): answers `echo` messages at once (the bare round trip);
// given `open`, opens that database itself; given `op`, runs `call(op, args)` and replies
// with the value and the time the call took in this worker (`twice`: the time of a second,
// identical call in the same task, its caches warm); given `loop`, times searches and counts
// back to back.
const { now } = await import('../fixtures/measure.js');
const rv = await import(new URL('../../web/pkg/simd/ruvector.js', import.meta.url).href);
await rv.default();

self.onmessage = async ({ data }) => {
  if (data.echo) return self.postMessage(data);
  if (data.open) return self.postMessage(await rv.call('open', { name: data.open, options: {} }));
  if (data.loop) {
    const { queries, dim, ef } = data.loop;
    const nq = queries.length / dim;
    const qs = Array.from({ length: nq }, (_, i) => queries.slice(i * dim, (i + 1) * dim));
    const out = {};
    for (let round = 0; round < 3; round++) {
      let t = now();
      for (let i = 0; i < 4000; i++) await rv.call('search', { name: data.name, vector: qs[i % nq], options: { k: 10, ef } });
      out.loop_search = (now() - t) / 4000 * 1000;
      t = now();
      for (let i = 0; i < 4000; i++) await rv.call('count', { name: data.name });
      out.loop_count = (now() - t) / 4000 * 1000;
    }
    return self.postMessage(out);
  }
  let s = now();
  let value = await rv.call(data.op, data.args, 1);
  if (data.twice) {
    const args = data.other ? { ...data.args, vector: data.other } : data.args;
    s = now();
    value = await rv.call(data.op, args, 1);
  }
  self.postMessage({ value, us: (now() - s) * 1000 });
};
self.postMessage({ ready: true });
