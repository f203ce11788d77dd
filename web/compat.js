// ruvector-web/compat: a drop-in for the ancestor package `@ruvector/wasm` (0.1.x). Change
// the import and keep the code:
//
//   import init, { VectorDB } from 'ruvector-web/compat';   // the default export loads it
//   await init();
//   const db = new VectorDB(384, 'cosine', true);
//
// Unlike the rest of ruvector-web, this runs the engine in the calling thread (a page or
// the user's own worker), synchronously, as the ancestor did. What changes for the better:
// `useHnsw` really builds an HNSW index, `saveToIndexedDB` / `loadFromIndexedDB` really
// persist (in the format the worker facade opens), metadata round-trips, and the SIMD128
// build runs where the browser supports it. `score` is higher-is-better for every metric
// (cosine similarity, dot product, minus the euclidean or manhattan distance); the
// ancestor's build returned a cosine *distance*. `free()` is accepted and does nothing.
// @ts-ignore: web/pkg is made by scripts/build-web.sh (typed by its generated .d.ts)
import initSimd, * as simd from './pkg/simd/ruvector.js';
// @ts-ignore: as above
import initScalar, * as scalar from './pkg/scalar/ruvector.js';
import { simdSupported } from './simd.js';
import { hitLists } from './results.js';

/** The IndexedDB database `saveToIndexedDB()` writes when given no name. */
export const DEFAULT_DB_NAME = 'ruvector-compat';

let glue = null; // the loaded build's module
let loaded = null; // the pending or finished initialisation

function engine() {
  if (!glue) throw new Error('ruvector-web/compat: await the default export (`await init()`) first');
  return glue;
}

const failure = (e) => Object.assign(new Error(e?.message ?? String(e)), { code: e?.code ?? 'INTERNAL' });

/**
 * Loads the engine: the SIMD128 build where the browser validates SIMD128, else the scalar
 * one. `module_or_path` (optional) is the `.wasm` of that build, as for the ancestor.
 */
export default function initialize(module_or_path) {
  loaded ??= (async () => {
    const [g, start] = simdSupported() ? [simd, initSimd] : [scalar, initScalar];
    const output = await start(module_or_path === undefined ? undefined : { module_or_path });
    glue = g;
    return output;
  })();
  return loaded;
}

/** Synchronous initialisation from the compiled `.wasm` of the build `detectSIMD` names. */
export function initSync(module) {
  const g = simdSupported() ? simd : scalar;
  const output = g.initSync(module?.module !== undefined ? module : { module });
  glue = g;
  return output;
}

/** True when the SIMD128 build is the one loaded (false before `init`). */
export function detectSIMD() {
  return glue === simd;
}

/** The engine's version. */
export function version() {
  return engine().version();
}

/** Kept for old code: `Float32Array.from(arr)`. */
export function arrayToFloat32Array(arr) {
  return Float32Array.from(arr);
}

/**
 * Inserts `iterations` seeded random `dimensions`-long vectors into a fresh in-memory
 * collection and returns inserts per second; `name` is `'search'` to time that many k=10
 * searches over them instead.
 */
export function benchmark(name, iterations, dimensions) {
  const g = engine();
  let s = 0x9e3779b9;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) - 0.5;
  const vec = () => Float32Array.from({ length: dimensions }, rnd);
  const c = new g.MemoryCollection({ dimensions, metric: 'cosine' });
  try {
    const items = Array.from({ length: iterations }, () => ({ vector: vec() }));
    let t = performance.now();
    for (const it of items) c.insert([it]);
    if (name !== 'search') return iterations / ((performance.now() - t) / 1000);
    const queries = Array.from({ length: iterations }, vec);
    t = performance.now();
    for (const q of queries) c.search(q, { k: 10 });
    return iterations / ((performance.now() - t) / 1000);
  } finally {
    c.free();
  }
}

/** The ancestor's synchronous `init()` (it installed a panic hook); nothing to do here. */
export function init() {}

/** An entry `{ vector, id?, metadata? }`, as the ancestor's class. */
export class JsVectorEntry {
  constructor(vector, id, metadata) {
    this.vector = vector instanceof Float32Array ? vector : Float32Array.from(vector);
    this.id = id ?? undefined;
    this.metadata = metadata ?? undefined;
  }

  free() {}

  [Symbol.dispose]() {}
}

// Results carry the ancestor's fields and a no-op free(). `vector` is read when asked for,
// as the ancestor's getter did, so a search copies no vectors nobody looks at.
const noFree = { free() {}, [Symbol.dispose]() {} };
const result = (h, c) => {
  const r = Object.assign(Object.create(noFree), { id: h.id, score: h.score, metadata: h.metadata });
  let vector = null;
  return Object.defineProperty(r, 'vector', {
    enumerable: true,
    get: () => (vector ??= c.get(h.id)?.vector),
  });
};

/** The ancestor's `VectorDB`: synchronous, in this thread, with HNSW and real persistence. */
export class VectorDB {
  #c;

  /** `metric`: `cosine` (default), `euclidean`, `dotproduct` or `manhattan`; `useHnsw` defaults to true. */
  constructor(dimensions, metric, useHnsw) {
    const g = engine();
    if (dimensions instanceof g.MemoryCollection) {
      this.#c = dimensions; // from loadFromIndexedDB
      return;
    }
    try {
      this.#c = new g.MemoryCollection({ dimensions, metric: metric ?? 'cosine', index: useHnsw === false ? 'flat' : 'hnsw' });
    } catch (e) {
      throw failure(e);
    }
  }

  /** Vector length. */
  get dimensions() {
    return this.#c.dimensions;
  }

  /** Inserts one vector; returns its id (generated when not given). */
  insert(vector, id, metadata) {
    return this.insertBatch([{ vector, id, metadata }])[0];
  }

  /** Inserts `{ vector, id?, metadata? }` entries (or `JsVectorEntry`s), all or none; returns the ids. */
  insertBatch(entries) {
    const items = Array.from(entries, (e) => ({ id: e.id ?? undefined, vector: e.vector, metadata: e.metadata ?? undefined }));
    try {
      return this.#c.insert(items);
    } catch (e) {
      throw failure(e);
    }
  }

  /** The `k` nearest to `query`, best first, as `{ id, score, vector, metadata }`; `filter` as in docs/engine.md. */
  search(query, k, filter) {
    try {
      const r = this.#c.search(query, { k, filter: filter ?? undefined, includeMetadata: true });
      return hitLists(r)[0].map((h) => result(h, this.#c));
    } catch (e) {
      throw failure(e);
    }
  }

  /** Deletes `id`; false when it was not there. */
  delete(id) {
    return this.#c.delete(id);
  }

  /** The entry of `id`, or undefined. */
  get(id) {
    const r = this.#c.get(id);
    return r ? new JsVectorEntry(r.vector, r.id, r.metadata) : undefined;
  }

  /** Live vectors. */
  len() {
    return this.#c.len();
  }

  /** True when empty. */
  isEmpty() {
    return this.#c.isEmpty();
  }

  /**
   * Writes the whole database to IndexedDB as `name` (default `DEFAULT_DB_NAME`), replacing
   * what was saved there before, in one transaction. The worker facade opens it too.
   * Resolves to `{ name, count }`.
   */
  async saveToIndexedDB(...args) {
    const name = args[0] ?? DEFAULT_DB_NAME;
    try {
      await engine().saveCollection(name, this.#c.exportFile());
      return { name, count: this.#c.len() };
    } catch (e) {
      throw failure(e);
    }
  }

  /** Loads what `saveToIndexedDB(name)` (or the worker facade) stored as `name`. */
  static async loadFromIndexedDB(name) {
    try {
      return new VectorDB(await engine().loadCollection(name));
    } catch (e) {
      throw failure(e);
    }
  }

  /** Accepted for old code; memory is freed by the garbage collector. */
  free() {}

  [Symbol.dispose]() {}
}
