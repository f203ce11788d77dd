// The demo: hybrid search over Debian package descriptions. <ruvector-db> holds the vectors
// and a BM25 index of "<package>: <description>" (persisted in IndexedDB); embed-worker.js
// turns the query into a vector with all-MiniLM-L6-v2. The mode switch picks hybrid (both
// rankings fused, the default), vector or text (BM25 alone, no embedding). The first visit loads demo/data/ into the database with a progress bar;
// later visits open it from IndexedDB at once. `document.body.dataset.phase` says where the
// page is (starting, loading, ready, error) for people and tests alike.
import { deleteDatabase } from '../web/index.js';
import '../web/element.js';

const $ = (id) => document.getElementById(id);
const el = document.querySelector('ruvector-db');
const K = 12;
const state = { db: null, kernel: '', total: 0, similarTo: null, searchId: 0 };

function phase(p, loadedFrom) {
  document.body.dataset.phase = p;
  if (loadedFrom) document.body.dataset.loadedFrom = loadedFrom;
}

function status(text, isError = false) {
  $('status').textContent = text;
  $('status').classList.toggle('error', isError);
}

const fmt = (n) => n.toLocaleString('en');
const ms = (t) => (t < 10 ? t.toFixed(1) : Math.round(t)) + ' ms';

// The embedding model, in its own worker so typing stays smooth.
const embedder = new Worker(new URL('./embed-worker.js', import.meta.url), { type: 'module' });
const embeds = new Map();
let nextEmbed = 1;
const modelReady = new Promise((resolve, reject) => {
  embedder.onmessage = ({ data }) => {
    if ('ready' in data) return data.ready ? resolve(data.ms) : reject(new Error(data.error));
    const p = embeds.get(data.id);
    embeds.delete(data.id);
    if (data.error) p?.reject(new Error(data.error));
    else p?.resolve(data);
  };
  embedder.onerror = (e) => reject(new Error(e.message || 'the embedding worker failed to start'));
});

async function embed(text) {
  await modelReady;
  const id = nextEmbed++;
  return new Promise((resolve, reject) => {
    embeds.set(id, { resolve, reject });
    embedder.postMessage({ id, text });
  });
}

// First visit (or an interrupted one): add the packages not stored yet, in atomic chunks.
async function load(db, stored, total) {
  phase('loading');
  $('loading').hidden = false;
  const show = (n) => {
    $('bar-fill').style.width = `${(100 * n) / total}%`;
    $('loading-count').textContent = `${fmt(n)} / ${fmt(total)}`;
  };
  show(stored);
  $('loading-title').textContent = 'Downloading package vectors…';
  const [pkgs, buf] = await Promise.all([
    fetch('./data/packages.json').then((r) => r.json()),
    fetch('./data/vectors.f32').then((r) => r.arrayBuffer()),
  ]);
  const rows = pkgs.rows.slice(stored);
  const vectors = new Float32Array(buf, stored * pkgs.dim * 4);
  $('loading-title').textContent = 'Indexing and storing in this browser…';
  await db.insertMany(
    {
      vectors,
      ids: rows.map((r) => r[0]),
      metadata: rows.map(([, text, section]) => ({ text, section })),
      texts: rows.map(([id, text]) => `${id}: ${text}`),
    },
    { chunk: 500, transfer: true, onProgress: ({ committed }) => show(stored + committed) },
  );
  $('loading').hidden = true;
}

function render(hits, note) {
  const list = $('results');
  list.replaceChildren();
  const tpl = $('result');
  for (const h of hits) {
    const li = tpl.content.firstElementChild.cloneNode(true);
    li.dataset.id = h.id;
    li.querySelector('.name').textContent = h.id;
    li.querySelector('.section').textContent = h.metadata?.section ?? '';
    li.querySelector('.text').textContent = h.metadata?.text ?? '';
    li.querySelector('.score-value').textContent = h.score.toFixed(3);
    // Bars on each mode's scale: fused RRF scores top out near 2/61, BM25 near 20.
    const top = hits[0]?.score || 1;
    li.querySelector('.score-bar div').style.width = `${Math.max(0, Math.min(1, h.score / top)) * 100}%`;
    li.querySelector('.why-text').textContent = h.scores?.text !== undefined ? `BM25 ${h.scores.text.toFixed(2)}` : '';
    li.querySelector('.why-vector').textContent = h.scores?.vector !== undefined ? `cos ${h.scores.vector.toFixed(3)}` : '';
    li.querySelector('.more').addEventListener('click', () => moreLike(h.id));
    list.append(li);
  }
  $('empty').hidden = hits.length > 0 || $('query').value !== '' || state.similarTo !== null;
  status(note);
}

const filter = () => ($('section').value ? { section: $('section').value } : undefined);

const mode = () => document.querySelector('#mode input:checked')?.value ?? 'hybrid';

async function runSearch(query, { exclude = null, embedMs = null, searchMode = 'vector' } = {}) {
  const id = ++state.searchId;
  const t = performance.now();
  const options = { k: exclude ? K + 1 : K, includeMetadata: true, filter: filter(), mode: searchMode };
  const hits = await state.db.search(query, options);
  const took = performance.now() - t;
  if (id !== state.searchId) return; // a newer search has started
  const shown = hits.filter((h) => h.id !== exclude).slice(0, K);
  const parts = [`${shown.length} results`];
  if (embedMs !== null) parts.push(`embedded in ${ms(embedMs)}`);
  parts.push(`${searchMode} search in ${ms(took)}`, state.kernel);
  render(shown, parts.join(' · '));
}

async function searchText() {
  const text = $('query').value.trim();
  state.similarTo = null;
  $('similar').hidden = true;
  const url = new URL(location.href);
  if (text) url.searchParams.set('q', text);
  else url.searchParams.delete('q');
  history.replaceState(null, '', url);
  if (!text) {
    state.searchId++;
    render([], `${fmt(state.total)} packages ready · type to search`);
    return;
  }
  const mine = ++state.searchId;
  const searchMode = mode();
  try {
    if (searchMode === 'text') {
      await runSearch(text, { searchMode });
      return;
    }
    status('Embedding the query…');
    const { vector, ms: embedMs } = await embed(text);
    if (mine !== state.searchId) return;
    await runSearch({ vector, text }, { embedMs, searchMode });
  } catch (e) {
    status(`Search failed: ${e.message}`, true);
  }
}

async function moreLike(id) {
  const item = await state.db.get(id);
  if (!item) return;
  state.similarTo = id;
  $('similar-name').textContent = id;
  $('similar').hidden = false;
  window.scrollTo({ top: 0, behavior: 'smooth' });
  await runSearch(item.vector, { exclude: id });
}

let debounce = 0;
$('query').addEventListener('input', () => {
  clearTimeout(debounce);
  debounce = setTimeout(searchText, 200);
});
$('search').addEventListener('submit', (e) => {
  e.preventDefault();
  clearTimeout(debounce);
  searchText();
});
$('section').addEventListener('change', () => (state.similarTo ? moreLike(state.similarTo) : searchText()));
$('mode').addEventListener('change', () => searchText());
$('similar-clear').addEventListener('click', () => searchText());
for (const a of document.querySelectorAll('[data-q]')) {
  a.addEventListener('click', (e) => {
    e.preventDefault();
    $('query').value = a.dataset.q;
    searchText();
  });
}
$('reset').addEventListener('click', async () => {
  if (!confirm('Delete the local package index? It is rebuilt on the next visit.')) return;
  await deleteDatabase(el.getAttribute('name'));
  location.reload();
});

async function start(db) {
  state.db = db;
  const sections = await fetch('./data/sections.json').then((r) => r.json());
  state.total = sections.total;
  for (const [name, n] of sections.sections) $('section').append(new Option(`${name} (${fmt(n)})`, name));
  const stored = await db.count();
  let from = 'indexeddb';
  if (stored < sections.total) {
    await load(db, stored, sections.total);
    from = stored === 0 ? 'network' : 'network (resumed)';
  }
  const stats = await db.stats();
  state.kernel = stats.kernel === 'simd128' ? 'WebAssembly SIMD128' : 'scalar WebAssembly';
  $('engine').textContent = `ruvector-web · ${state.kernel} · ${fmt(stats.len)} vectors × ${stats.dimensions} · ${stats.index.toUpperCase()} · BM25 over ${fmt(stats.text?.terms ?? 0)} terms · IndexedDB`;
  $('query').disabled = false;
  $('section').disabled = false;
  for (const r of document.querySelectorAll('#mode input')) r.disabled = false;
  phase('ready', from);
  // performance.now() counts from the navigation: the time to a searchable database.
  const opened = from === 'indexeddb' ? `opened from IndexedDB, searchable ${ms(performance.now())} after page load` : 'stored in this browser';
  status(`${fmt(stats.len)} packages ${opened} · loading the language model…`);
  modelReady.then(
    () => {
      const q = new URL(location.href).searchParams.get('q');
      if (q) $('query').value = q;
      if ($('query').value) searchText();
      else render([], `${fmt(stats.len)} packages ready · type to search`);
      document.body.dataset.model = 'ready';
    },
    (e) => status(`The language model failed to load: ${e.message}`, true),
  );
  $('query').focus();
}

phase('starting');
el.addEventListener('error', (e) => {
  phase('error');
  status(`The database failed: ${e.detail?.message ?? e.detail}`, true);
});
el.ready.then(start).catch((e) => {
  phase('error');
  status(`Could not start: ${e.message}`, true);
});
