// Types of web/embedders/transformers.js ('ruvector-web/embedders/transformers').
import type { Embedder } from '../index.js';

/** Options of a transformers.js embedder (as query parameters when loaded by URL in the worker). */
export interface TransformersEmbedderOptions {
  /** A feature-extraction model, e.g. 'Xenova/all-MiniLM-L6-v2'. */
  model: string;
  /** The weights to load ('q8'). */
  dtype?: string;
  /** The URL of transformers.js to import (default '@huggingface/transformers', for bundlers). */
  transformers?: string;
  /** Serve the model yourself from this path (remote models are then off). */
  localModelPath?: string;
  /** Where onnxruntime-web's files are: a URL prefix, or their URLs. */
  wasmPaths?: string | { mjs: string; wasm: string };
  /** Recorded with the database (default 'transformers:<model>'). */
  name?: string;
}

/** An embedder object for `open(name, { embedder })`, run on the page; resolves once the model answers. */
export declare function transformersEmbedder(options: TransformersEmbedderOptions): Promise<Required<Embedder> & { embed(texts: string[]): Promise<Float32Array[]> }>;
/** With a `model` query parameter: the embedder's name. */
export declare const name: string | undefined;
/** With a `model` query parameter: its dimension. */
export declare const dimensions: number | undefined;
/** With a `model` query parameter: the vectors of `texts`. */
export declare function embed(texts: string[]): Promise<Float32Array[]>;
