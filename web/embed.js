// Embedders run on the page: an object given to open() as `embedder`, with `dimensions` and
// `embed(texts)`. Its answers are checked here before anything is sent to the worker; one
// given as a module URL runs inside the worker instead (crates/ruvector-wasm/src/engine/
// embedder.rs checks the same things there).

/** Texts given to one `embed` call at most. */
const BATCH = 64;

const failed = (message) => Object.assign(new Error(`embedder: ${message}`), { code: 'EMBEDDER_FAILED' });

/**
 * The vectors of `texts` by `embedder`, back to back in one Float32Array (texts.length ·
 * dimensions values): one vector a text, each of `dimensions` finite numbers, each call
 * answered within `timeoutMs`. Anything else rejects with code `EMBEDDER_FAILED`.
 * @param {{ dimensions: number, embed: (texts: string[]) => any, timeoutMs: number }} embedder
 * @param {string[]} texts
 */
export async function embedTexts(embedder, texts) {
  const { dimensions: dim, timeoutMs } = embedder;
  const out = new Float32Array(texts.length * dim);
  for (let from = 0; from < texts.length; from += BATCH) {
    const batch = texts.slice(from, from + BATCH);
    let timer;
    const late = new Promise((_, reject) => {
      timer = setTimeout(() => reject(failed(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    let vectors;
    try {
      vectors = await Promise.race([Promise.resolve().then(() => embedder.embed(batch)), late]);
    } catch (e) {
      throw e?.code === 'EMBEDDER_FAILED' ? e : failed(e?.message ?? String(e));
    } finally {
      clearTimeout(timer);
    }
    if (!Array.isArray(vectors) || vectors.length !== batch.length) {
      throw failed(`embed() returned ${Array.isArray(vectors) ? `${vectors.length} vectors` : 'no array'} for ${batch.length} texts`);
    }
    vectors.forEach((/** @type {any} */ answer, i) => {
      const at = from + i;
      if (!(Array.isArray(answer) || ArrayBuffer.isView(answer))) throw failed(`vector ${at} is not an array of numbers`);
      const v = /** @type {ArrayLike<number>} */ (answer);
      if (v.length !== dim) throw failed(`vector ${at} has ${v.length} values, not ${dim}`);
      for (let j = 0; j < dim; j++) {
        if (typeof v[j] !== 'number' || !Number.isFinite(v[j])) throw failed(`vector ${at} has NaN or infinity at ${j}`);
      }
      out.set(v, at * dim);
    });
  }
  return out;
}
