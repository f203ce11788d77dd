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
//
// A search box with no script of its own:
//
//   <input id="q"> <ruvector-db name="notes" text search-input="q"></ruvector-db>
//
// `text` opens the database with a text index; `embedder` names an embedder module (run in the
// worker). `search-input` names an `<input>`: each input (debounced by `debounce`, 150 ms)
// runs `search(value, { k, mode, includeText: true, includeMetadata: true })` (`k` 10; `mode`
// as the query allows) and dispatches `results` (detail: { query, hits }), the latest only.
import { open, RuvectorError } from './index.js';

const ATTRIBUTES = ['name', 'dimensions', 'metric', 'index', 'quantization', 'durability', 'text', 'embedder'];
const METHODS = ['insert', 'insertMany', 'upsert', 'get', 'delete', 'search', 'searchMany', 'retrain', 'compact', 'count', 'stats', 'export', 'import', 'importRecords'];

/** The `<ruvector-db>` element. */
export class RuvectorDbElement extends HTMLElement {
  static observedAttributes = ATTRIBUTES;

  #db = null;
  #opening = null;
  #generation = 0;
  #scheduled = false;
  #started = false;
  #typed = 0;
  /** The pending debounce (a number in a page, a Timeout in Node). @type {any} */
  #timer = 0;
  #onInput = (/** @type {Event} */ e) => {
    const id = this.getAttribute('search-input');
    const input = /** @type {HTMLInputElement} */ (e.target);
    if (!id || input?.id !== id) return;
    clearTimeout(this.#timer);
    const wait = Number(this.getAttribute('debounce') ?? 150);
    this.#timer = setTimeout(() => this.#runSearch(input.value), wait);
  };

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
    this.ownerDocument.addEventListener('input', this.#onInput);
    if (!this.#db && !this.#opening) this.#reopen();
  }

  disconnectedCallback() {
    this.ownerDocument.removeEventListener('input', this.#onInput);
    clearTimeout(this.#timer);
    // A move within the page (removed and inserted in one task) keeps the database open.
    queueMicrotask(() => {
      if (!this.isConnected) this.#close();
    });
  }

  /** Runs the search box's query; only the latest one's hits are dispatched. */
  async #runSearch(query) {
    const mine = ++this.#typed;
    const k = Number(this.getAttribute('k') ?? 10);
    const mode = this.getAttribute('mode') ?? undefined;
    let hits = [];
    try {
      if (query.trim()) {
        const db = await this.ready;
        hits = await db.search(query, { k, mode, includeText: true, includeMetadata: true });
      }
    } catch (error) {
      if (mine === this.#typed) this.dispatchEvent(new CustomEvent('error', { detail: error }));
      return;
    }
    if (mine === this.#typed) this.dispatchEvent(new CustomEvent('results', { detail: { query, hits } }));
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
    for (const a of ['metric', 'index', 'quantization', 'durability', 'embedder']) {
      const v = this.getAttribute(a);
      if (v !== null) o[a] = v;
    }
    if (this.hasAttribute('text')) o.text = true;
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

// A stream at once, as the database's own method gives one; it asks for the database at its first
// read, so one made before the element is connected works once it is.
Object.defineProperty(RuvectorDbElement.prototype, 'exportRecords', {
  writable: true,
  configurable: true,
  value: function (options) {
    let reader;
    return new ReadableStream({
      pull: async (controller) => {
        if (!reader) {
          const db = /** @type {any} */ (await this.ready);
          reader = db.exportRecords(options).getReader();
        }
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel: (reason) => reader?.cancel(reason),
    }, { highWaterMark: 0 }); // nothing is pulled before the first read
  },
});

if (!customElements.get('ruvector-db')) customElements.define('ruvector-db', RuvectorDbElement);
