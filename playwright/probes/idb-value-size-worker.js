// Probe worker (probes/idb-value-size.mjs): writes 20k x 384 float32's worth of random bytes
// (30 MB) to IndexedDB as values of one size, then reads them all back four times, each time
// on a fresh connection with every get issued at once (as an open does), and once with
// getAll; for each value size. Posts the times in ms.
const now = () => performance.now();
const req = (r) => new Promise((res, rej) => { r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });
const done = (tx) => new Promise((res, rej) => { tx.oncomplete = res; tx.onerror = () => rej(tx.error); tx.onabort = () => rej(tx.error); });
const openDb = (name) => new Promise((res, rej) => {
  const r = indexedDB.open(name, 1);
  r.onupgradeneeded = () => r.result.createObjectStore('p');
  r.onsuccess = () => res(r.result);
  r.onerror = () => rej(r.error);
});
const TOTAL = 20000 * 384 * 4;
const key = (i) => `k${String(i).padStart(6, '0')}`;
const out = [];
for (const size of [1 << 20, 384 << 10, 128 << 10, 64 << 10, 32 << 10]) {
  const name = `probe-${size}`;
  const count = Math.ceil(TOTAL / size);
  let db = await openDb(name);
  const tx = db.transaction('p', 'readwrite', { durability: 'strict' });
  for (let i = 0; i < count; i++) {
    // Random (incompressible, as float vectors are): 64 KiB of random bytes repeated.
    const b = new Uint8Array(size);
    crypto.getRandomValues(b.subarray(0, Math.min(size, 65536)));
    for (let j = 65536; j < size; j += 65536) b.copyWithin(j, 0, Math.min(65536, size - j));
    b[0] = i & 255;
    tx.objectStore('p').put(b, key(i));
  }
  await done(tx);
  db.close();
  await new Promise((r) => setTimeout(r, 1500));
  const gets = [];
  for (let round = 0; round < 4; round++) {
    const t = now();
    db = await openDb(name);
    const st = db.transaction('p', 'readonly').objectStore('p');
    const values = await Promise.all(Array.from({ length: count }, (_, i) => req(st.get(key(i)))));
    gets.push(Math.round(now() - t));
    db.close();
    if (values.reduce((n, v) => n + v.length, 0) !== count * size) throw new Error('short read');
  }
  const t = now();
  db = await openDb(name);
  await req(db.transaction('p', 'readonly').objectStore('p').getAll());
  const getAll = Math.round(now() - t);
  db.close();
  out.push({ value_bytes: size, values: count, gets_ms: gets.join(' '), getAll_ms: getAll });
  await req(indexedDB.deleteDatabase(name));
}
postMessage(out);
