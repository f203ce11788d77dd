// Result sets (docs/protocol.md, "Result sets") as hit objects: the engine answers a search in
// columns, one call into JavaScript and one small structured clone, and the objects are made
// here, once, on the side that uses them. Shared by the facade and the compat layer.

/**
 * The hits of each query of a result set, best first: one array of `{ id, score, distance,
 * metadata?, vector? }` per query. Each `vector` is a Float32Array of its own.
 * @param {{ offsets: Uint32Array, ids: string[], scores: Float32Array, distances: Float32Array, metadata?: any[], vectors?: Float32Array }} set
 * @returns {Array<Array<{ id: string, score: number, distance: number, metadata?: any, vector?: Float32Array }>>}
 */
export function hitLists({ offsets, ids, scores, distances, metadata, vectors }) {
  const dim = vectors && ids.length ? vectors.length / ids.length : 0;
  const lists = new Array(offsets.length - 1);
  for (let q = 0; q < lists.length; q++) {
    const hits = new Array(offsets[q + 1] - offsets[q]);
    for (let j = 0, i = offsets[q]; j < hits.length; j++, i++) {
      const h = { id: ids[i], score: scores[i], distance: distances[i] };
      if (metadata && metadata[i] !== null) h.metadata = metadata[i];
      if (vectors) h.vector = vectors.slice(i * dim, (i + 1) * dim);
      hits[j] = h;
    }
    lists[q] = hits;
  }
  return lists;
}
