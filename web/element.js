// <ruvector-db>: the facade as a custom element, no framework needed.
//
//   <ruvector-db name="notes" dimensions="384" metric="cosine"></ruvector-db>
//
// It opens the database when connected (attributes `name`, `dimensions`, `metric`,
// `index`, `durability`), reopens when one of them changes, and closes it (ending its worker
// when no other handle uses it) when removed from the page. `.db` is the open `Database`
// (or null); the element also has the database's methods, which wait for the open.
// Events: `ready` (detail: { db }), `change`, `progress`, and `error` (detail: the
// RuvectorError: a failed open, or the database cut off by another tab or a dead worker).
import { open, RuvectorError } from './index.js';

const ATTRIBUTES = ['name', 'dimensions', 'metric', 'index', 'quantization', 'durability'];
const METHODS = ['insert', 'insertMany', 'upsert', 'get', 'delete', 'search', 'searchMany', 'retrain', 'count', 'stats', 'export', 'import'];

/** The `<ruvector-db>` element. */
export class RuvectorDbElement extends HTMLElement {
  static observedAttributes = ATTRIBUTES;

  #db = null;
  #opening = null;
  #generation = 0;
  #scheduled = false;
  #started = false;

  /** The open `Database`, or null while opening, closed or failed. */
  get db() {
    return this.#db;
  }

  /** Resolves to the `Database` once the current open finishes; rejects if it fails. */
  get ready() {
    return this.#opening ?? Promise.reject(new RuvectorError('NOT_OPEN', '<ruvector-db> has no database: give it a name and put it in the page'));
  }

  connectedCallback() {
    this.#started = true;
    if (!this.#db && !this.#opening) this.#reopen();
  }

  disconnectedCallback() {
    // A move within the page (removed and inserted in one task) keeps the database open.
    queueMicrotask(() => {
      if (!this.isConnected) this.#close();
    });
  }

  attributeChangedCallback(_name, before, after) {
    // During an upgrade the attributes arrive before connectedCallback, which opens anyway.
    if (before === after || !this.#started || !this.isConnected || this.#scheduled) return;
    // Several attributes set in a row reopen once.
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      if (this.isConnected) this.#reopen();
    });
  }

  #options() {
    const o = {};
    const dim = this.getAttribute('dimensions');
    if (dim !== null) o.dimensions = Number(dim);
    for (const a of ['metric', 'index', 'quantization', 'durability']) {
      const v = this.getAttribute(a);
      if (v !== null) o[a] = v;
    }
    return o;
  }

  #close() {
    this.#generation++;
    const db = this.#db;
    this.#db = null;
    this.#opening = null;
    return db ? db.close() : Promise.resolve();
  }

  #reopen() {
    const closing = this.#close();
    const generation = this.#generation;
    const name = this.getAttribute('name');
    if (!name) return;
    const opening = closing.then(() => open(name, this.#options()));
    this.#opening = opening;
    opening.catch(() => {}); // reported as an `error` event below
    opening.then(
      (db) => {
        if (generation !== this.#generation) {
          db.close();
          return;
        }
        this.#db = db;
        for (const type of ['change', 'progress']) {
          db.addEventListener(type, (e) => this.dispatchEvent(new CustomEvent(type, { detail: e.detail })));
        }
        for (const type of ['blocked', 'terminated']) {
          db.addEventListener(type, (e) => {
            if (this.#db !== db) return;
            this.#db = null;
            const { code = 'CLOSED', message = `database ${JSON.stringify(name)} was closed (${type})` } = e.detail ?? {};
            this.dispatchEvent(new CustomEvent('error', { detail: new RuvectorError(code, message) }));
          });
        }
        this.dispatchEvent(new CustomEvent('ready', { detail: { db } }));
      },
      (error) => {
        if (generation === this.#generation) this.dispatchEvent(new CustomEvent('error', { detail: error }));
      },
    );
  }
}

for (const m of METHODS) {
  Object.defineProperty(RuvectorDbElement.prototype, m, {
    value: async function (...args) {
      const db = await this.ready;
      return db[m](...args);
    },
    writable: true,
    configurable: true,
  });
}

if (!customElements.get('ruvector-db')) customElements.define('ruvector-db', RuvectorDbElement);
