// Types of ruvector-web/langchain: a LangChain.js VectorStore over a ruvector-web database.
import { VectorStore } from '@langchain/core/vectorstores';
import type { MaxMarginalRelevanceSearchOptions } from '@langchain/core/vectorstores';
import type { Callbacks } from '@langchain/core/callbacks/manager';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import type { DocumentInterface } from '@langchain/core/documents';
import type { Database, Filter, Fusion, OpenOptions } from 'ruvector-web';

/** The metadata key that holds `pageContent` in a database without a text index. */
export declare const CONTENT_KEY: 'pageContent';

/** How `similaritySearch` and the retriever search: by vector, by BM25 over the text, or both fused. */
export type SearchMode = 'vector' | 'text' | 'hybrid';

/** A store's own settings. */
export interface RuvectorStoreFields {
  /** The open database. */
  db: Database;
  searchMode?: SearchMode;
  /** How hybrid search fuses its two rankings (default RRF). */
  fusion?: Fusion;
}

/** Where the static constructors find the database: `db`, or `name` opened (with a text index) with the open options. */
export type RuvectorDbConfig = ({ db: Database } | ({ name: string; path?: string } & OpenOptions)) & {
  searchMode?: SearchMode;
  fusion?: Fusion;
};

/** A LangChain vector store over one ruvector-web database. */
export declare class RuvectorStore extends VectorStore {
  FilterType: Filter;
  /** The database. */
  readonly db: Database;
  searchMode: SearchMode;
  /** `embeddings` null: vectors come from the database's own embedder. */
  constructor(embeddings: EmbeddingsInterface | null | undefined, fields: RuvectorStoreFields);
  _vectorstoreType(): string;
  static open(embeddings: EmbeddingsInterface | null | undefined, config: RuvectorDbConfig): Promise<RuvectorStore>;
  addVectors(vectors: number[][], documents: DocumentInterface[], options?: { ids?: string[] }): Promise<string[]>;
  addDocuments(documents: DocumentInterface[], options?: { ids?: string[] }): Promise<string[]>;
  similaritySearchVectorWithScore(query: number[], k: number, filter?: Filter): Promise<[DocumentInterface, number][]>;
  /** Needs the store's Embeddings (`NO_EMBEDDER` otherwise). */
  maxMarginalRelevanceSearch(query: string, options: MaxMarginalRelevanceSearchOptions<this['FilterType']>, callbacks?: Callbacks): Promise<DocumentInterface[]>;
  /** By ids (all or none), or every document a metadata filter accepts. */
  delete(params: { ids: string[] } | { filter: Filter }): Promise<void>;
  static fromTexts(texts: string[], metadatas: object[] | object, embeddings: EmbeddingsInterface | null, dbConfig: RuvectorDbConfig): Promise<RuvectorStore>;
  static fromDocuments(docs: DocumentInterface[], embeddings: EmbeddingsInterface | null, dbConfig: RuvectorDbConfig): Promise<RuvectorStore>;
  static fromExistingIndex(embeddings: EmbeddingsInterface | null, dbConfig: RuvectorDbConfig): Promise<RuvectorStore>;
}
