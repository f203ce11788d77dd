// ruvector-web as a LangChain.js vector store (`ruvector-web/langchain`), in a page or in Node:
// `@langchain/core` is a peer dependency, never bundled. A document is one record: its
// `pageContent` the record's text (so the database's BM25 index sees it), its `metadata` the
// record's metadata, its `id` the record's id. Filters are the database's own (docs/engine.md).
// Vectors come from the `Embeddings` object given, or, without one, from the database's own
// embedder (`open`'s `embedder` option).

import { VectorStore } from '@langchain/core/vectorstores';
import { Document } from '@langchain/core/documents';
import { maximalMarginalRelevance } from '@langchain/core/utils/math';
import { open, RuvectorError } from 'ruvector-web';
import { putRecords, hasTextIndex } from './common.js';

/** The metadata key that holds `pageContent` in a database without a text index. */
export const CONTENT_KEY = 'pageContent';

const fail = (code, message) => new RuvectorError(code, message);

/** A store's database: `db` as given, or `open(name, options)` once, text index asked for. */
async function openDb({ db, name, ...options } = {}) {
  if (db) return db;
  if (typeof name !== 'string') throw fail('BAD_ARGUMENT', 'RuvectorStore: give `db` (an open Database) or `name` (and open options)');
  return open(name, { text: true, ...options });
}

/** A LangChain `VectorStore` over one ruvector-web database. */
export class RuvectorStore extends VectorStore {
  /** The database's Mongo-style metadata filter. @type {Record<string, unknown>} */
  FilterType;

  /**
   * @param {import('@langchain/core/embeddings').EmbeddingsInterface | null | undefined} embeddings
   *   how vectors are made; `null` uses the database's own embedder
   * @param {{ db: any, searchMode?: 'vector' | 'text' | 'hybrid', fusion?: object }} fields
   *   `searchMode` is how `similaritySearch` and the retriever search: by vector (default), by
   *   BM25 over the documents' text, or both fused
   */
  constructor(embeddings, { db, searchMode = 'vector', fusion } = /** @type {any} */ ({})) {
    super(/** @type {any} */ (embeddings ?? null), {});
    if (!db) throw fail('BAD_ARGUMENT', 'RuvectorStore: `db` (an open Database) is required; RuvectorStore.open() opens one');
    if (!['vector', 'text', 'hybrid'].includes(searchMode)) throw fail('BAD_ARGUMENT', `searchMode: expected 'vector', 'text' or 'hybrid', not ${JSON.stringify(searchMode)}`);
    /** The database. */
    this.db = db;
    this.searchMode = searchMode;
    this.fusion = fusion;
  }

  _vectorstoreType() {
    return 'ruvector-web';
  }

  /** Opens (creating with a text index) database `name` and wraps it. */
  static async open(embeddings, { searchMode, fusion, ...dbConfig } = {}) {
    return new RuvectorStore(embeddings, { db: await openDb(dbConfig), searchMode, fusion });
  }

  /** Records of `documents` (with `vectors`, or for the database's embedder without). */
  async #records(documents, vectors, ids) {
    if (ids !== undefined && (!Array.isArray(ids) || ids.length !== documents.length)) {
      throw fail('BAD_ARGUMENT', `ids: expected ${documents.length} ids, one per document`);
    }
    const text = await hasTextIndex(this.db);
    return documents.map((d, i) => {
      const metadata = text ? { ...d.metadata } : { ...d.metadata, [CONTENT_KEY]: d.pageContent };
      const r = { id: ids?.[i] ?? d.id ?? undefined, metadata, text: text ? d.pageContent : undefined };
      if (vectors) r.vector = Float32Array.from(vectors[i]);
      return r;
    });
  }

  /** Adds documents with their vectors; resolves to their ids. */
  async addVectors(vectors, documents, options = {}) {
    if (vectors.length !== documents.length) throw fail('BAD_ARGUMENT', `addVectors: ${vectors.length} vectors for ${documents.length} documents`);
    const records = await this.#records(documents, vectors, options.ids);
    return putRecords(this.db, records);
  }

  /** Adds documents, embedding their text (the `Embeddings` object, else the database's embedder). */
  async addDocuments(documents, options = {}) {
    if (this.embeddings) {
      const vectors = await this.embeddings.embedDocuments(documents.map((d) => d.pageContent));
      return this.addVectors(vectors, documents, options);
    }
    const records = await this.#records(documents, null, options.ids);
    if (!(await hasTextIndex(this.db))) throw fail('NO_EMBEDDER', 'addDocuments: give the store an Embeddings object, or open the database with a text index and an embedder');
    return putRecords(this.db, records);
  }

  #document(h) {
    const metadata = { ...(h.metadata ?? {}) };
    let pageContent = h.text ?? '';
    if (CONTENT_KEY in metadata && h.text === undefined) {
      pageContent = String(metadata[CONTENT_KEY]);
      delete metadata[CONTENT_KEY];
    }
    return new Document({ id: h.id, pageContent, metadata });
  }

  #check(filter) {
    if (filter === undefined || filter === null) return undefined;
    if (typeof filter !== 'object' || Array.isArray(filter)) {
      throw fail('INVALID_FILTER', 'filter: ruvector-web takes a metadata filter object ({ field: value, field: { $gte: 1 } }, docs/engine.md), not a function or a string');
    }
    return filter;
  }

  #options(k, filter, extra = {}) {
    return { k, filter: this.#check(filter), includeMetadata: true, includeText: true, ...extra };
  }

  /** The `k` nearest documents to `query` (a vector) with their scores (higher is closer). */
  async similaritySearchVectorWithScore(query, k, filter) {
    const hits = await this.db.search(Float32Array.from(query), this.#options(k, filter));
    return hits.map((h) => [this.#document(h), h.score]);
  }

  /**
   * The `k` best documents for the text `query` with their scores, searched as `searchMode`
   * says: by its vector, by BM25 over the documents' text, or both fused.
   */
  async similaritySearchWithScore(query, k = 4, filter = undefined) {
    const mode = this.searchMode;
    if (mode === 'vector' && this.embeddings) return this.similaritySearchVectorWithScore(await this.embeddings.embedQuery(query), k, filter);
    let q = query;
    if (mode !== 'text' && this.embeddings) q = { vector: Float32Array.from(await this.embeddings.embedQuery(query)), text: mode === 'hybrid' ? query : undefined };
    const options = this.#options(k, filter, { mode, ...(mode === 'hybrid' && this.fusion ? { fusion: this.fusion } : {}) });
    const hits = await this.db.search(q, options);
    return hits.map((h) => [this.#document(h), h.score]);
  }

  /** The `k` best documents for the text `query` (see `similaritySearchWithScore`). */
  async similaritySearch(query, k = 4, filter = undefined) {
    return (await this.similaritySearchWithScore(query, k, filter)).map(([d]) => d);
  }

  /**
   * `k` documents both close to `query` and unlike each other: `fetchK` (default 20) nearest by
   * vector, then maximal marginal relevance with `lambda` (default 0.5; 1 is closeness only).
   * Needs the store's `Embeddings` (the query's vector).
   */
  async maxMarginalRelevanceSearch(query, { k = 4, fetchK = 20, lambda = 0.5, filter } = {}) {
    if (!this.embeddings) throw fail('NO_EMBEDDER', 'maxMarginalRelevanceSearch needs the store\'s Embeddings object for the query\'s vector');
    const q = await this.embeddings.embedQuery(query);
    const hits = await this.db.search(Float32Array.from(q), this.#options(fetchK, filter, { includeVectors: true }));
    const picked = maximalMarginalRelevance(q, hits.map((h) => Array.from(h.vector)), lambda, k);
    return picked.map((i) => this.#document(hits[i]));
  }

  /** Deletes documents by `ids` (all or none), or every one a metadata `filter` accepts. */
  async delete({ ids, filter } = {}) {
    if (ids !== undefined && filter !== undefined) throw fail('BAD_ARGUMENT', 'delete: give ids or filter, not both');
    if (ids !== undefined) return void (await this.db.delete(ids));
    if (filter !== undefined) return void (await this.db.delete({ filter: this.#check(filter) }));
    throw fail('BAD_ARGUMENT', 'delete: give { ids } or { filter }');
  }

  /** A store over database `dbConfig.name` (or `dbConfig.db`) holding `texts`, one document each. */
  static async fromTexts(texts, metadatas, embeddings, dbConfig) {
    const docs = texts.map((pageContent, i) => new Document({ pageContent, metadata: Array.isArray(metadatas) ? metadatas[i] ?? {} : metadatas ?? {} }));
    return RuvectorStore.fromDocuments(docs, embeddings, dbConfig);
  }

  /**
   * A store over database `dbConfig.name` (created with the embeddings' dimension when new) or
   * `dbConfig.db`, holding `docs`.
   */
  static async fromDocuments(docs, embeddings, dbConfig = {}) {
    const { searchMode, fusion, ...config } = dbConfig;
    let vectors = null;
    if (embeddings) {
      vectors = await embeddings.embedDocuments(docs.map((d) => d.pageContent));
      if (!config.db && config.dimensions === undefined && vectors.length) config.dimensions = vectors[0].length;
    }
    const store = new RuvectorStore(embeddings, { db: await openDb(config), searchMode, fusion });
    if (vectors) await store.addVectors(vectors, docs);
    else await store.addDocuments(docs);
    return store;
  }

  /** A store over the existing database `dbConfig.name` (or `dbConfig.db`). */
  static async fromExistingIndex(embeddings, dbConfig = {}) {
    const { searchMode, fusion, ...config } = dbConfig;
    return new RuvectorStore(embeddings, { db: await openDb(config), searchMode, fusion });
  }
}
