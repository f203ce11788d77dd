// ruvector-web as a LlamaIndex.TS vector store (`ruvector-web/llamaindex`), in a page or in
// Node: `@llamaindex/core` is a peer dependency, never bundled. A node is one record: its
// `id_` the record's id, its embedding the vector, its text the record's text (BM25-searchable
// when the database has a text index), and its metadata with LlamaIndex's own keys
// (`_node_content`, `ref_doc_id`, ...) the record's metadata, so that a query gives the nodes
// back and `delete(refDocId)` finds them.

import { BaseVectorStore, metadataDictToNode, nodeToMetadata } from '@llamaindex/core/vector-store';
import { MetadataMode } from '@llamaindex/core/schema';
import { open, RuvectorError } from 'ruvector-web';
import { putRecords, hasTextIndex } from './common.js';

const fail = (code, message) => new RuvectorError(code, message);

/** One LlamaIndex metadata filter as the database's filter; what it cannot express is `INVALID_FILTER`. */
function condition({ key, value, operator }) {
  const list = () => {
    if (!Array.isArray(value)) throw fail('INVALID_FILTER', `filter on ${JSON.stringify(key)}: ${operator} needs an array`);
    return value;
  };
  switch (operator) {
    case '==':
      return { [key]: { $eq: value } };
    case '!=':
      return { [key]: { $ne: value } };
    case '>':
      return { [key]: { $gt: value } };
    case '<':
      return { [key]: { $lt: value } };
    case '>=':
      return { [key]: { $gte: value } };
    case '<=':
      return { [key]: { $lte: value } };
    case 'in':
      return { [key]: { $in: list() } };
    case 'nin':
      return { [key]: { $nin: list() } };
    // An array field equals a value when it holds it (docs/engine.md).
    case 'contains':
      return { [key]: value };
    case 'any':
      return { $or: list().map((v) => ({ [key]: v })) };
    case 'all':
      return { $and: list().map((v) => ({ [key]: v })) };
    case 'is_empty':
      return { $or: [{ [key]: { $exists: false } }, { [key]: null }, { [key]: { $eq: [] } }] };
    default:
      throw fail('INVALID_FILTER', `filter on ${JSON.stringify(key)}: ruvector-web cannot express the operator ${JSON.stringify(operator)} (no substring matching; use the text search of query mode 'sparse' or 'hybrid')`);
  }
}

/** LlamaIndex `MetadataFilters` (and `docIds`) as one database filter, or undefined for none. */
export function toFilter(filters, docIds) {
  const parts = (filters?.filters ?? []).map(condition);
  if (docIds?.length) parts.push({ ref_doc_id: { $in: docIds } });
  if (parts.length === 0) return undefined;
  if (parts.length === 1) return parts[0];
  const how = filters?.condition ?? 'and';
  if (how !== 'and' && how !== 'or') throw fail('INVALID_FILTER', `filters.condition: expected 'and' or 'or', not ${JSON.stringify(how)}`);
  // docIds always narrow, whatever joins the metadata filters.
  if (how === 'or' && docIds?.length) return { $and: [{ $or: parts.slice(0, -1) }, parts.at(-1)] };
  return { [`$${how}`]: parts };
}

/** A LlamaIndex vector store over one ruvector-web database. */
export class RuvectorVectorStore extends BaseVectorStore {
  storesText = true;

  /**
   * @param {{ db: any, embedModel?: any }} params `db` an open Database; `embedModel` the
   *   embedding model LlamaIndex uses with this store (its default otherwise)
   */
  constructor({ db, ...params } = /** @type {any} */ ({})) {
    super(params);
    if (!db) throw fail('BAD_ARGUMENT', 'RuvectorVectorStore: `db` (an open Database) is required; RuvectorVectorStore.open() opens one');
    /** The database. */
    this.db = db;
  }

  /** Opens (creating with a text index) database `name` with `open`'s options and wraps it. */
  static async open({ name, embedModel, ...options }) {
    return new RuvectorVectorStore({ db: await open(name, { text: true, ...options }), embedModel });
  }

  /** The database. */
  client() {
    return this.db;
  }

  /** Stores nodes with their embeddings (replacing nodes of the same id); resolves to their ids. */
  async add(nodes) {
    const text = await hasTextIndex(this.db);
    const records = nodes.map((n) => {
      const embedding = n.getEmbedding();
      return {
        id: n.id_,
        vector: Float32Array.from(embedding),
        text: text ? n.getContent(MetadataMode.NONE) : undefined,
        metadata: nodeToMetadata(n, text),
      };
    });
    return putRecords(this.db, records);
  }

  /** Deletes every node of the source document `refDocId`. */
  async delete(refDocId) {
    await this.db.delete({ filter: { ref_doc_id: refDocId } });
  }

  /**
   * The `similarityTopK` best nodes for the query: mode `default` by `queryEmbedding`,
   * `sparse` by BM25 over `queryStr`, `hybrid` both fused (by rank, or weighted by `alpha`, the
   * vector ranking's share); `filters` and `docIds` narrow it.
   */
  async query(query) {
    const { queryEmbedding, queryStr, similarityTopK: k = 2, mode = 'default', filters, docIds, alpha } = query;
    const filter = toFilter(filters, docIds);
    const vector = queryEmbedding ? Float32Array.from(queryEmbedding) : undefined;
    let q;
    let searchMode;
    if (mode === 'default') {
      if (!vector) throw fail('INVALID_QUERY', 'query: mode default needs queryEmbedding');
      [q, searchMode] = [vector, 'vector'];
    } else if (mode === 'sparse') {
      if (typeof queryStr !== 'string') throw fail('INVALID_QUERY', 'query: mode sparse needs queryStr');
      [q, searchMode] = [queryStr, 'text'];
    } else if (mode === 'hybrid') {
      [q, searchMode] = [{ vector, text: queryStr }, 'hybrid'];
    } else {
      throw fail('INVALID_QUERY', `query: ruvector-web answers modes default, sparse and hybrid, not ${JSON.stringify(mode)}`);
    }
    // LlamaIndex's alpha weighs the vector ranking against the text one (1: vectors only).
    if (alpha !== undefined && (typeof alpha !== 'number' || !(alpha >= 0 && alpha <= 1))) throw fail('INVALID_QUERY', 'query.alpha: expected a number from 0 to 1');
    const fusion = searchMode === 'hybrid' && alpha !== undefined ? { method: 'weighted', vector: alpha, text: 1 - alpha } : undefined;
    const hits = await this.db.search(q, { k, filter, mode: searchMode, fusion, includeMetadata: true, includeText: true });
    const nodes = hits.map((h) => {
      const node = metadataDictToNode(h.metadata ?? {});
      if (h.text !== undefined) node.setContent(h.text);
      return node;
    });
    return { nodes, similarities: hits.map((h) => h.score), ids: hits.map((h) => h.id) };
  }
}
