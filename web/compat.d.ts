// Types of web/compat.js, the drop-in for `@ruvector/wasm` 0.1.x's `VectorDB`.

/** The metric names; `cosine` is the default. */
export type CompatMetric = 'cosine' | 'euclidean' | 'dotproduct' | 'manhattan';

/** Loads the engine (SIMD128 where supported); the ancestor's default export. */
export default function initialize(module_or_path?: RequestInfo | URL | Response | BufferSource | WebAssembly.Module): Promise<unknown>;
/** Synchronous initialisation from the `.wasm` of the build `detectSIMD()` would pick. */
export declare function initSync(module: { module: BufferSource | WebAssembly.Module } | BufferSource | WebAssembly.Module): unknown;
/** The ancestor's synchronous `init()`; a no-op. */
export declare function init(): void;
/** True when the SIMD128 build is loaded. */
export declare function detectSIMD(): boolean;
export declare function version(): string;
export declare function arrayToFloat32Array(arr: Float32Array | number[]): Float32Array;
/** Inserts per second (or searches per second when `name` is `'search'`) over `iterations` random vectors. */
export declare function benchmark(name: string, iterations: number, dimensions: number): number;
/** The IndexedDB name `saveToIndexedDB()` uses by default. */
export declare const DEFAULT_DB_NAME: string;

export declare class JsVectorEntry {
  constructor(vector: Float32Array, id?: string | null, metadata?: any | null);
  readonly vector: Float32Array;
  readonly id: string | undefined;
  readonly metadata: any | undefined;
  free(): void;
  [Symbol.dispose](): void;
}

/** A search result: `score` is higher-is-better for every metric. */
export interface JsSearchResult {
  readonly id: string;
  readonly score: number;
  readonly vector: Float32Array | undefined;
  readonly metadata: any | undefined;
  free(): void;
}

export declare class VectorDB {
  constructor(dimensions: number, metric?: CompatMetric | string | null, useHnsw?: boolean | null);
  readonly dimensions: number;
  insert(vector: Float32Array, id?: string | null, metadata?: any | null): string;
  insertBatch(entries: Array<{ vector: Float32Array; id?: string | null; metadata?: any | null } | JsVectorEntry>): string[];
  search(query: Float32Array, k: number, filter?: any | null): JsSearchResult[];
  delete(id: string): boolean;
  get(id: string): JsVectorEntry | undefined;
  len(): number;
  isEmpty(): boolean;
  /** Saves to IndexedDB as `name` (default `DEFAULT_DB_NAME`). */
  saveToIndexedDB(name?: string): Promise<{ name: string; count: number }>;
  static loadFromIndexedDB(name: string): Promise<VectorDB>;
  free(): void;
  [Symbol.dispose](): void;
}
