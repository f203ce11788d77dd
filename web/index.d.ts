// Types of ruvector-web's facade (web/index.js) and of <ruvector-db> (web/element.js).
// Hand-written; checked by `tsc --noEmit` on playwright/types/usage.ts in `make test`.

/** Distance metrics. `score` is larger-is-better for each; `distance` smaller-is-better. */
export type Metric = 'cosine' | 'euclidean' | 'dotproduct' | 'manhattan';
/** `hnsw` (approximate, fast) or `flat` (exact scan). */
export type IndexKind = 'hnsw' | 'flat';
/**
 * `int8` keeps int8 codes (a quarter of the bytes) and builds and walks the HNSW graph on
 * them. Once a float32 vector is in a full stored page it leaves memory (IndexedDB keeps it
 * for `get`, `includeVectors` and export), and results are ranked by int8 distance (the
 * `distance` returned is that estimate); before that, candidates are reranked in float32.
 * `binary` adds one sign bit per dimension: the search walks the graph on them (Hamming
 * distance, twice the candidates) and reranks those on the int8 codes. Neither with `manhattan`.
 */
export type Quantization = 'none' | 'int8' | 'binary';
/** `strict` survives OS crashes; `relaxed` survives tab and browser crashes only. */
export type Durability = 'strict' | 'relaxed';

/** Stable error codes (docs/protocol.md). */
export type ErrorCode =
  | 'BAD_MESSAGE' | 'PROTOCOL_VERSION' | 'UNKNOWN_OP' | 'BAD_ARGUMENT' | 'NOT_OPEN' | 'CLOSED'
  | 'INVALID_CONFIG' | 'CONFIG_MISMATCH' | 'DIMENSION_MISMATCH' | 'NON_FINITE' | 'ZERO_VECTOR'
  | 'INVALID_ID' | 'DUPLICATE_ID' | 'INVALID_METADATA' | 'TOO_LARGE' | 'MISSING_VECTOR' | 'NOT_FOUND'
  | 'INVALID_FILTER' | 'INVALID_K' | 'INVALID_EF' | 'FULL' | 'QUOTA_EXCEEDED' | 'STORAGE' | 'CORRUPT'
  | 'NEWER_FORMAT' | 'ALREADY_EXISTS' | 'NO_INDEXEDDB' | 'UNSUPPORTED' | 'TERMINATED'
  | 'NO_TEXT_INDEX' | 'INVALID_QUERY' | 'NO_EMBEDDER' | 'EMBEDDER_FAILED' | 'LOCKED' | 'ABORTED' | 'CHANGED' | 'INTERNAL';

/** Every failure, with a stable `code`. */
export declare class RuvectorError extends Error {
  constructor(code: ErrorCode, message: string);
  readonly name: 'RuvectorError';
  readonly code: ErrorCode;
}

/** JSON-compatible metadata stored with a vector. */
export type Metadata = { [key: string]: unknown };
/** A vector: `Float32Array` or an array of numbers. */
export type VectorLike = Float32Array | number[];

/** HNSW parameters (Malkov & Yashunin): `m` links per node (16), `efConstruction` (200), `efSearch` (64). */
export interface HnswOptions {
  m?: number;
  efConstruction?: number;
  efSearch?: number;
  seed?: number;
}

/** When the log is folded into pages (this session only). */
export interface CheckpointOptions {
  maxLogRecords?: number;
  maxLogBytes?: number;
}

/** Options of this session, for a database that exists. */
export interface SessionOptions {
  durability?: Durability;
  checkpoint?: CheckpointOptions;
  /** Ask the browser to keep this origin's storage (`navigator.storage.persist()`). */
  persist?: boolean;
  /** `false` forces the scalar build even where WebAssembly SIMD128 is available. */
  simd?: boolean;
  /**
   * `'auto'` (default) compacts at an idle moment once the slots of deleted and replaced
   * vectors are at least 1,024 and as many as the live ones; `'manual'` only on `compact()`.
   */
  compaction?: 'auto' | 'manual';
}

/**
 * How a database splits text into terms for its full-text (BM25) index; fixed once created.
 * `stem`: the Snowball English stemmer or none ('english'); `fold`: fold letters to ASCII
 * (`é` → `e`; true); `stopWords`: drop Lucene's 33 English stop words (false).
 */
export interface TextOptions {
  stem?: 'english' | false;
  fold?: boolean;
  stopWords?: boolean;
}

/**
 * Turns texts into vectors of the database's dimension. Given to `open` as an object (it runs
 * on the page) or as the URL of a module exporting `dimensions` and `embed` (it runs inside the
 * worker, so the model never blocks the page).
 */
export interface Embedder {
  /** Recorded with the database and checked at the next open (default 'page'). */
  name?: string;
  dimensions: number;
  embed(texts: string[]): Promise<ArrayLike<number>[]> | ArrayLike<number>[];
}

/** Options that work with any database, new or existing. */
export interface TextSessionOptions {
  /**
   * A text index with these settings: created with a new database, added, empty, to one
   * without, and checked against one that has it (`CONFIG_MISMATCH`). `true` asks for one with
   * the default settings when it is made, and takes the settings of one that exists.
   */
  text?: TextOptions | boolean;
  /**
   * An embedder: an object run on the page, a plain function run on the page (its dimension is
   * that of its answer to one text; recorded as 'page'), or a module URL run in the worker.
   */
  embedder?: Embedder | ((texts: string[]) => Promise<ArrayLike<number>[]> | ArrayLike<number>[]) | string | URL;
  /** How long one `embed` call may take before it fails with `EMBEDDER_FAILED` (30,000 ms). */
  embedTimeoutMs?: number;
}

/**
 * Options that create the database when it does not exist: `dimensions` is required. When it
 * exists, each given field must match it (`CONFIG_MISMATCH`).
 */
export interface OpenOptions extends SessionOptions, TextSessionOptions {
  dimensions: number;
  metric?: Metric;
  index?: IndexKind;
  hnsw?: HnswOptions;
  quantization?: Quantization;
}

/**
 * One item to insert. Without an `id`, one is generated. `text` needs a text index; an item
 * with `text` and no `vector` needs an embedder (`NO_EMBEDDER`).
 */
export interface Item {
  id?: string;
  vector?: VectorLike;
  text?: string;
  metadata?: Metadata;
}

/** Many vectors packed: `vectors` holds n·dimensions values; `texts` one entry a vector. */
export interface PackedItems {
  vectors?: Float32Array;
  ids?: (string | undefined)[];
  metadata?: (Metadata | null | undefined)[];
  texts?: (string | null | undefined)[];
}

/** What a search compares: vectors, texts (BM25) or both fused. */
export type SearchMode = 'vector' | 'text' | 'hybrid';
/**
 * How hybrid search fuses its two rankings: reciprocal rank fusion (each list adds
 * 1 / (rankConstant + rank); default, rankConstant 60) or a weighted sum of each list's
 * scores min–max normalised (weights 0.5 and 0.5).
 */
export type Fusion =
  | { method: 'rrf'; rankConstant?: number }
  | { method: 'weighted'; text?: number; vector?: number };
/** A query: a vector, a text, or both (hybrid). */
export type Query = VectorLike | string | { vector?: VectorLike; text?: string };

export interface InsertManyOptions {
  /** Vectors per atomic chunk (1,000). */
  chunk?: number;
  /** After each acknowledged chunk. */
  onProgress?: (progress: { committed: number; total: number }) => void;
  /** Stops between chunks; acknowledged chunks stay. */
  signal?: AbortSignal;
  /** Move `vectors`' buffer to the worker (it is detached) instead of copying it. */
  transfer?: boolean;
}

export interface InsertManyResult {
  ids: string[];
  committed: number;
  total: number;
  aborted: boolean;
}

/** A Mongo-style metadata filter: `{ field: value }`, `$eq $ne $gt $gte $lt $lte $in $nin $exists`, `$and $or $not`. */
export type Filter = { [key: string]: unknown };

export interface SearchOptions {
  /** How many results (10). */
  k?: number;
  /** HNSW candidate list size; larger is slower and more accurate. */
  ef?: number;
  filter?: Filter;
  includeMetadata?: boolean;
  includeVectors?: boolean;
  /** Return each hit's text. */
  includeText?: boolean;
  /**
   * What to compare; by default what the query holds (a vector, a text, or both: hybrid). A
   * string with an embedder runs hybrid (the string embedded).
   */
  mode?: SearchMode;
  /** How hybrid search fuses its rankings (RRF, rank constant 60). */
  fusion?: Fusion;
  /**
   * `quantization: 'int8' | 'binary'`: take 4·k hits of the int8 ranking and rescore them from
   * their float32 vectors in IndexedDB (exact distances; slower). No effect otherwise.
   */
  rescore?: boolean;
}

/** One search result, best first. */
export interface SearchResult {
  id: string;
  /** Larger is better: the vector score, BM25 for a text search, the fused score for hybrid. */
  score: number;
  /** Smaller is better; there where a vector was compared (vector and hybrid searches). */
  distance?: number;
  /** Why it ranks: its score in each ranking that saw it. */
  scores: { text?: number; vector?: number };
  metadata?: Metadata;
  vector?: Float32Array;
  /** With `includeText`. */
  text?: string;
}

/** A stored record. */
export interface StoredItem {
  id: string;
  vector: Float32Array;
  metadata?: Metadata;
  text?: string;
}

/** What `stats()` returns; see docs/protocol.md for every field. */
export interface Stats {
  len: number;
  /** Slots of deleted and replaced vectors still held; `compact()` gives them back. */
  tombstones: number;
  dimensions: number;
  metric: Metric;
  index: IndexKind;
  kernel: string;
  simd: boolean;
  distanceEvaluations: number;
  /** The worker's WebAssembly memory in bytes (it grows and never shrinks). */
  wasmMemory: number;
  /** Bytes in memory by part; `vectorsInMemory` counts the float32 vectors not only in storage. */
  memory: { vectors: number; codes: number; graph: number; ids: number; metadata: number; text: number; vectorsInMemory: number };
  /** The text index: records with text, distinct terms, record–term pairs (absent without one). */
  text?: { records: number; terms: number; postings: number };
  /** The embedder in use and the one recorded with the database (`null`: none). */
  embedder?: { name: string; dimensions: number } | null;
  storage: { seq: number; foldedSeq: number; batches: number; checkpoints: number; bytesWritten: number; logRecords: number; logBytes: number };
  persistence: { transactions: number; failedTransactions: number; durability: Durability; lastDurability: string; openReadMs: number; openDecodeMs: number; openBytesRead: number; openFromCache: boolean; cacheWrites: number; cacheWriteMs: number; webLocks: boolean; remoteRecords: number; remoteReloads: number; readRetries: number; checkpointing: boolean; checkpointSlices: number };
  /** The origin's storage estimate (`navigator.storage.estimate()`, bytes), or null where there is none; an open's reply has it as estimated when the open began. */
  quota: { usage: number; quota: number } | null;
  [more: string]: unknown;
}

/** Detail of a `change` event. */
export interface ChangeDetail {
  /** The sequence number reached. */
  seq: number;
  /** `'local'`: a write of this tab was acknowledged; `'remote'`: caught up with other tabs' writes. */
  origin: 'local' | 'remote';
}

export interface DatabaseEventMap {
  /** An acknowledged write, here or (after catching up) in another tab. */
  change: CustomEvent<ChangeDetail>;
  /** `insertMany` progress. */
  progress: CustomEvent<{ requestId: number; committed: number; total: number }>;
  /** Another tab is upgrading or deleting the database; this handle is closed. */
  blocked: CustomEvent<unknown>;
  /** The worker died or the database was deleted; this handle is closed. */
  terminated: CustomEvent<{ code: ErrorCode; message: string }>;
}

/** The data operations of a `Database`, which `<ruvector-db>` offers too (waiting for its open). */
export interface DatabaseOperations {
  insert(item: Item): Promise<string>;
  insert(items: Item[]): Promise<string[]>;
  insertMany(input: PackedItems | Item[], options?: InsertManyOptions): Promise<InsertManyResult>;
  upsert(id: string, change: { vector?: VectorLike; metadata?: Metadata | null; text?: string | null }): Promise<'inserted' | 'updated'>;
  get(id: string): Promise<StoredItem | null>;
  delete(ids: string | string[]): Promise<unknown>;
  /** Deletes every record whose metadata `filter` accepts, atomically; resolves to how many. */
  delete(where: { filter: Filter }): Promise<number>;
  /** The best `k`: nearest vectors, BM25 text matches, or both fused (see `Query`, `SearchOptions.mode`). */
  search(query: Query, options?: SearchOptions): Promise<SearchResult[]>;
  /**
   * Each query's best `k` in one round trip, under the same options: `queries` is a
   * Float32Array of n·dimensions values, an array of vectors or of strings, or
   * `{ vectors, texts }`. At most 10,000 queries and 1,000,000 hits (n·k).
   */
  searchMany(queries: Float32Array | VectorLike[] | string[] | { vectors?: Float32Array; texts?: string[] }, options?: SearchOptions): Promise<SearchResult[][]>;
  /** Retrains the int8 ranges on the vectors there are now and re-encodes them (`int8` and `binary`). */
  retrain(): Promise<void>;
  /**
   * Gives back the space of deleted and replaced vectors (`stats().tombstones`): the live
   * records move to fresh slots, a slice at a time, searches and writes going on, and replace
   * the database in one transaction (an interruption leaves it as it was).
   */
  compact(): Promise<{ slotsBefore: number; slotsAfter: number; ms: number }>;
  count(): Promise<number>;
  stats(): Promise<Stats>;
  export(): Promise<Blob>;
  /** Replaces this database's contents with an export file's, atomically. */
  import(file: Blob | Uint8Array | ArrayBuffer): Promise<Stats>;
  /** Every record as bytes in `format`, a page at a time (docs/outgrowing.md); `signal` ends it with `ABORTED`. */
  exportRecords(options?: ExportRecordsOptions): ReadableStream<Uint8Array>;
  /** Adds the records of `source`, each chunk checked whole before it is written (docs/outgrowing.md). */
  importRecords(source: RecordsSource, options?: ImportRecordsOptions): Promise<{ imported: number; aborted: boolean }>;
}

/** The formats of `exportRecords` and `importRecords`. */
export type RecordsFormat = 'jsonl' | 'arrow' | 'parquet';
/** What `importRecords` reads: text, bytes, a Blob, a stream or an async iterable of bytes. */
export type RecordsSource = string | Uint8Array | ArrayBuffer | Blob | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array | string>;
export interface ExportRecordsOptions {
  format?: RecordsFormat;
  /** The apache-arrow module for `format: 'arrow' | 'parquet'` in a bundled page (Node imports it itself). */
  arrow?: unknown;
  /** The parquet-wasm module, initialised, for `format: 'parquet'` in a bundled page (Node imports it itself). */
  parquet?: unknown;
  /** Records per page (default 1,000). */
  chunk?: number;
  signal?: AbortSignal;
  onProgress?: (p: { exported: number; total: number }) => void;
}
export interface ImportRecordsOptions {
  format?: RecordsFormat;
  /** The apache-arrow module for `format: 'arrow' | 'parquet'` in a bundled page (Node imports it itself). */
  arrow?: unknown;
  /** The parquet-wasm module, initialised, for `format: 'parquet'` in a bundled page (Node imports it itself). */
  parquet?: unknown;
  /** The file's names for each field (defaults: id, vector, text, metadata). */
  columns?: { id?: string; vector?: string; text?: string; metadata?: string };
  /** `append` (default) refuses an existing id; `upsert` replaces it. */
  mode?: 'append' | 'upsert';
  /** Rows checked and written at a time (default 1,000). */
  chunk?: number;
  signal?: AbortSignal;
  onProgress?: (p: { imported: number }) => void;
}

// Merged with the class below: the operations are declared once.
export interface Database extends DatabaseOperations {}
/** An open database. Every method rejects with a `RuvectorError`. */
export declare class Database extends EventTarget {
  private constructor();
  readonly name: string;
  readonly dimensions: number;
  readonly metric: Metric;
  /** The browser's answer when `persist` was asked, else null. */
  readonly persisted: boolean | null;
  readonly closed: boolean;
  /** Pending writes finish first; the last close of a name may fold the log and write the page cache. */
  close(): Promise<void>;
  /** Deletes this database and all its data (as `deleteDatabase`). */
  destroy(options?: DeleteOptions): Promise<void>;
  addEventListener<K extends keyof DatabaseEventMap>(type: K, listener: (this: Database, ev: DatabaseEventMap[K]) => unknown, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof DatabaseEventMap>(type: K, listener: (this: Database, ev: DatabaseEventMap[K]) => unknown, options?: boolean | EventListenerOptions): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions): void;
}

/** Opens the database `name`, creating it (with `dimensions`) when it does not exist. */
export declare function open(name: string, options?: OpenOptions | (SessionOptions & TextSessionOptions)): Promise<Database>;
/** Imports an export file as the new database `name`. */
export declare function importDatabase(name: string, file: Blob | Uint8Array | ArrayBuffer, options?: { durability?: Durability; checkpoint?: CheckpointOptions }): Promise<Database>;
/** The names of this origin's databases. */
export declare function databases(): Promise<string[]>;
/** How a delete reports a connection elsewhere that does not close. */
export interface DeleteOptions {
  /** Called while another connection keeps the database open; the delete waits for it. */
  blocked?: (info: { name: string }) => void;
}
/** Deletes the database `name`; resolves once it is gone (waiting for connections elsewhere to close). */
export declare function deleteDatabase(name: string, options?: DeleteOptions): Promise<void>;

/** Events of `<ruvector-db>`. */
export interface RuvectorDbElementEventMap {
  ready: CustomEvent<{ db: Database }>;
  change: CustomEvent<ChangeDetail>;
  progress: CustomEvent<{ requestId: number; committed: number; total: number }>;
  /** A failed open or search-box search, or the database cut off (another tab, a dead worker). */
  error: CustomEvent<RuvectorError>;
  /** The hits of the latest search of the `search-input` box. */
  results: CustomEvent<{ query: string; hits: SearchResult[] }>;
}

/**
 * `<ruvector-db name dimensions metric index quantization durability text embedder
 * search-input k mode debounce>`. The type only: the element is defined by importing
 * 'ruvector-web/element'.
 */
export interface RuvectorDbElement extends HTMLElement, DatabaseOperations {
  /** The open database, or null. */
  readonly db: Database | null;
  /** Resolves once the current open finishes. */
  readonly ready: Promise<Database>;
  addEventListener<K extends keyof RuvectorDbElementEventMap>(type: K, listener: (this: RuvectorDbElement, ev: RuvectorDbElementEventMap[K]) => unknown, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof RuvectorDbElementEventMap>(type: K, listener: (this: RuvectorDbElement, ev: RuvectorDbElementEventMap[K]) => unknown, options?: boolean | EventListenerOptions): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | EventListenerOptions): void;
}

declare global {
  interface HTMLElementTagNameMap {
    'ruvector-db': RuvectorDbElement;
  }
}
