// Result sets (docs/protocol.md, "Result sets") as hit objects: the engine answers a search in
// columns, one call into JavaScript and one small structured clone, and the objects are made
// here, once, on the side that uses them. Shared by the facade and the compat layer.

/**
 * The hits of each query of a result set, best first: one array of `{ id, score, distance?,
 * scores: { text?, vector? }, metadata?, vector?, text? }` per query. `distance` is there where
 * a vector was compared; each `vector` is a Float32Array of its own. The `textScores` and
 * `vectorScores` columns are there only when they add to `scores` (docs/protocol.md).
 * @param {{ offsets: Uint32Array, ids: string[], scores: Float32Array, distances: Float32Array, textScores?: Float32Array, vectorScores?: Float32Array, metadata?: any[], vectors?: Float32Array, texts?: (string | null)[] }} set
 * @returns {Array<Array<{ id: string, score: number, distance?: number, scores: { text?: number, vector?: number }, metadata?: any, vector?: Float32Array, text?: string }>>}
 */
export function hitLists({ offsets, ids, scores, distances, textScores, vectorScores, metadata, vectors, texts }) {
  const dim = vectors && ids.length ? vectors.length / ids.length : 0;
  const lists = new Array(offsets.length - 1);
  for (let q = 0; q < lists.length; q++) {
    const hits = new Array(offsets[q + 1] - offsets[q]);
    for (let j = 0, i = offsets[q]; j < hits.length; j++, i++) {
      const d = distances[i];
      const t = textScores?.[i];
      const v = vectorScores?.[i];
      /** @type {{ id: string, score: number, distance?: number, scores: { text?: number, vector?: number }, metadata?: any, vector?: Float32Array, text?: string }} */
      const h = { id: ids[i], score: scores[i], scores: {} };
      if (d === d) h.distance = d; // NaN: no vector compared
      if (t !== undefined && t === t) h.scores.text = t;
      // Without the column, a hit with a distance was ranked by it alone (a vector search).
      if (v !== undefined ? v === v : d === d) h.scores.vector = v ?? scores[i];
      if (metadata && metadata[i] !== null) h.metadata = metadata[i];
      if (vectors) h.vector = vectors.slice(i * dim, (i + 1) * dim);
      if (texts && texts[i] !== null) h.text = texts[i];
      hits[j] = h;
    }
    lists[q] = hits;
  }
  return lists;
}
