// Types of ruvector-web in Node (node/index.js): the browser entry's API, with a directory.
import type {
  Database,
  DeleteOptions,
  Durability,
  CheckpointOptions,
  OpenOptions as WebOpenOptions,
  SessionOptions,
  TextSessionOptions,
} from '../web/index.js';

export * from '../web/index.js';

/** Where a database lives in Node, and which thread runs its engine. */
export interface PathOptions {
  /** The directory holding the database's own directory (default `./ruvector-data`); created when missing. */
  path?: string;
  /**
   * `'worker'` (default): the engine in a worker thread of its own, this thread free while it
   * works. `'main'`: in this thread, without a thread to wake per call (lower latency), but its
   * work runs here. A name already open in this process keeps its engine.
   */
  thread?: 'worker' | 'main';
}

/** `open`'s options in Node: the browser's, plus `path`. `durability: 'relaxed'` leaves flushing to the OS. */
export type OpenOptions = (WebOpenOptions | (SessionOptions & TextSessionOptions)) & PathOptions;

/** The directory used when `path` is not given. */
export declare const DEFAULT_PATH: string;
/** Opens the database `name` under `path`, creating it (with `dimensions`) when it does not exist; `LOCKED` when another process has it open. */
export declare function open(name: string, options?: OpenOptions): Promise<Database>;
/** Imports an export file as the new database `name` under `path`. */
export declare function importDatabase(name: string, file: Blob | Uint8Array | ArrayBuffer, options?: { durability?: Durability; checkpoint?: CheckpointOptions } & PathOptions): Promise<Database>;
/** The names of the databases under `path`. */
export declare function databases(options?: PathOptions): Promise<string[]>;
/** Deletes the database `name` under `path`; `LOCKED` when another process has it open. */
export declare function deleteDatabase(name: string, options?: DeleteOptions & PathOptions): Promise<void>;
