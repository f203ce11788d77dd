// Types of web/element.js: importing it defines <ruvector-db>.
import type { RuvectorDbElement as Instance } from './index.js';

export type { RuvectorDbElementEventMap } from './index.js';

/** A `<ruvector-db>` element. */
export type RuvectorDbElement = Instance;

/** The class registered as `<ruvector-db>`. */
export declare const RuvectorDbElement: {
  prototype: Instance;
  new (): Instance;
  readonly observedAttributes: string[];
};
