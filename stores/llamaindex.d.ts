// Types of ruvector-web/llamaindex: a LlamaIndex.TS vector store over a ruvector-web database.
import { BaseVectorStore } from '@llamaindex/core/vector-store';
import type { MetadataFilters, VectorStoreQuery, VectorStoreQueryResult, VectorStoreBaseParams } from '@llamaindex/core/vector-store';
import type { BaseNode } from '@llamaindex/core/schema';
import type { Database, Filter, OpenOptions } from 'ruvector-web';

/** LlamaIndex filters (and `docIds`) as one ruvector-web filter; `INVALID_FILTER` for what it cannot express. */
export declare function toFilter(filters?: MetadataFilters, docIds?: string[]): Filter | undefined;

/** A LlamaIndex vector store over one ruvector-web database; it stores the nodes' text. */
export declare class RuvectorVectorStore extends BaseVectorStore<Database> {
  storesText: true;
  readonly db: Database;
  constructor(params: { db: Database } & VectorStoreBaseParams);
  /** Opens (creating with a text index) database `name` and wraps it. */
  static open(options: { name: string; path?: string } & OpenOptions & VectorStoreBaseParams): Promise<RuvectorVectorStore>;
  client(): Database;
  add(nodes: BaseNode[]): Promise<string[]>;
  /** Deletes every node of source document `refDocId`. */
  delete(refDocId: string): Promise<void>;
  /** Modes `default` (vector), `sparse` (BM25 over `queryStr`) and `hybrid`. */
  query(query: VectorStoreQuery): Promise<VectorStoreQueryResult>;
}
