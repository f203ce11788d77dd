// ruvector-web/langchain against the real @langchain/core classes, in Node: documents in and
// out, filters, MMR, delete, the static constructors, text and hybrid search, the database's
// own embedder, and a retriever inside a small chain.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Document } from '@langchain/core/documents';
import { Embeddings } from '@langchain/core/embeddings';
import { PromptTemplate } from '@langchain/core/prompts';
import { RunnableLambda, RunnablePassthrough, RunnableSequence } from '@langchain/core/runnables';
import { StringOutputParser } from '@langchain/core/output_parsers';
import { RuvectorStore } from 'ruvector-web/langchain';
import { open, RuvectorError } from 'ruvector-web';
import { bagOfWords as words } from './words.mjs';

let dir;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ruvector-langchain-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Texts sharing words are close (test-node/words.mjs), in 64 dimensions. */
const bagOfWords = (text) => words(text, 64);

class WordEmbeddings extends Embeddings {
  calls = 0;
  constructor() {
    super({});
  }
  async embedDocuments(texts) {
    this.calls += texts.length;
    return texts.map(bagOfWords);
  }
  async embedQuery(text) {
    return bagOfWords(text);
  }
}

const DOCS = [
  new Document({ id: 'chess', pageContent: 'gnuchess plays chess against you and checkmates the king', metadata: { section: 'games', year: 2001 } }),
  new Document({ id: 'tetris', pageContent: 'a falling blocks puzzle game for the terminal', metadata: { section: 'games', year: 1999 } }),
  new Document({ id: 'nginx', pageContent: 'a small fast web server and reverse proxy', metadata: { section: 'web', year: 2004 } }),
  new Document({ id: 'curl', pageContent: 'command line tool for transferring data with urls from a web server', metadata: { section: 'web', year: 1998 } }),
  new Document({ id: 'chess2', pageContent: 'chess engine stockfish plays strong chess', metadata: { section: 'games', year: 2008 } }),
];

test('fromDocuments, similarity search with scores and filters, documents round-trip', async () => {
  const embeddings = new WordEmbeddings();
  const store = await RuvectorStore.fromDocuments(DOCS, embeddings, { name: 'lc-basic', path: dir });
  const [[best, score]] = await store.similaritySearchWithScore('play chess', 1);
  assert.ok(['chess', 'chess2'].includes(best.id));
  assert.equal(typeof score, 'number');
  assert.ok(best instanceof Document);
  assert.match(best.pageContent, /chess/);
  assert.equal(best.metadata.section, 'games');
  const web = await store.similaritySearch('chess web server', 3, { section: 'web' });
  assert.deepEqual(web.map((d) => d.metadata.section), ['web', 'web']);
  const recent = await store.similaritySearchVectorWithScore(bagOfWords('chess'), 5, { year: { $gte: 2005 } });
  assert.deepEqual(recent.map(([d]) => d.id), ['chess2']);
  // A filter the engine cannot express is a typed error, and nothing changes.
  await assert.rejects(store.similaritySearch('chess', 2, (d) => d.metadata.year > 2000), (e) => e instanceof RuvectorError && e.code === 'INVALID_FILTER');
  await assert.rejects(store.similaritySearch('chess', 2, { year: { $regex: '^19' } }), (e) => e.code === 'INVALID_FILTER' && /\$regex/.test(e.message));
  assert.equal(await store.db.count(), 5);
  await store.db.close();
});

test('MMR prefers unlike documents; delete by ids and by filter; ids replace', async () => {
  const embeddings = new WordEmbeddings();
  const store = await RuvectorStore.fromDocuments(DOCS, embeddings, { name: 'lc-mmr', path: dir });
  const near = await store.similaritySearch('chess plays', 2);
  assert.deepEqual(near.map((d) => d.id).sort(), ['chess', 'chess2']);
  const diverse = await store.maxMarginalRelevanceSearch('chess plays', { k: 2, fetchK: 5, lambda: 0.1 });
  assert.equal(diverse.length, 2);
  assert.ok(diverse.some((d) => !d.id.startsWith('chess')), `MMR picked ${diverse.map((d) => d.id)}`);
  // The same id again replaces the document.
  await store.addDocuments([new Document({ id: 'nginx', pageContent: 'nginx serves web pages fast', metadata: { section: 'web', year: 2024 } })]);
  assert.equal(await store.db.count(), 5);
  assert.equal((await store.db.get('nginx')).metadata.year, 2024);
  await store.delete({ ids: ['tetris'] });
  assert.equal(await store.db.count(), 4);
  await assert.rejects(store.delete({ ids: ['ghost'] }), (e) => e.code === 'NOT_FOUND');
  await store.delete({ filter: { section: 'web' } });
  assert.deepEqual((await store.similaritySearch('web server', 10)).map((d) => d.metadata.section), ['games', 'games']);
  await store.db.close();
});

test('text and hybrid search through the store; the database\'s own embedder without Embeddings', async () => {
  const embeddings = new WordEmbeddings();
  await RuvectorStore.fromDocuments(DOCS, embeddings, { name: 'lc-text', path: dir });
  const text = await RuvectorStore.fromExistingIndex(embeddings, { name: 'lc-text', path: dir, searchMode: 'text' });
  const [hit] = await text.similaritySearch('stockfish', 1);
  assert.equal(hit.id, 'chess2', 'BM25 finds the one document with the word');
  const hybrid = await RuvectorStore.fromExistingIndex(embeddings, { name: 'lc-text', path: dir, searchMode: 'hybrid' });
  const both = await hybrid.similaritySearchWithScore('stockfish chess', 2);
  assert.equal(both[0][0].id, 'chess2');
  await text.db.close();

  // No Embeddings: the database embeds with its own (a function here, on the calling side).
  const db = await open('lc-own', { path: dir, dimensions: 64, text: true, embedder: { name: 'words', dimensions: 64, embed: async (t) => t.map(bagOfWords) } });
  const own = new RuvectorStore(null, { db, searchMode: 'hybrid' });
  await own.addDocuments(DOCS);
  const [top] = await own.similaritySearch('reverse proxy', 1);
  assert.equal(top.id, 'nginx');
  await assert.rejects(own.maxMarginalRelevanceSearch('chess', { k: 2 }), (e) => e.code === 'NO_EMBEDDER');
  await db.close();
});

test('fromTexts and a retriever in a small chain', async () => {
  const embeddings = new WordEmbeddings();
  const store = await RuvectorStore.fromTexts(
    DOCS.map((d) => d.pageContent),
    DOCS.map((d) => d.metadata),
    embeddings,
    { name: 'lc-chain', path: dir },
  );
  assert.equal(await store.db.count(), 5);
  const retriever = store.asRetriever({ k: 2, filter: { section: 'web' } });
  const docs = await retriever.invoke('which web server is fast');
  assert.deepEqual(docs.map((d) => d.metadata.section), ['web', 'web']);
  // retriever -> prompt -> "model" (echoes the prompt it got) -> string
  const prompt = PromptTemplate.fromTemplate('Context:\n{context}\nQuestion: {question}');
  const model = RunnableLambda.from(async (p) => `ANSWER FROM:\n${p.toString()}`);
  const chain = RunnableSequence.from([
    { context: retriever.pipe((ds) => ds.map((d) => d.pageContent).join('\n')), question: new RunnablePassthrough() },
    prompt,
    model,
    new StringOutputParser(),
  ]);
  const answer = await chain.invoke('reverse proxy');
  assert.match(answer, /reverse proxy/);
  assert.match(answer, /Question: reverse proxy/);
  assert.doesNotMatch(answer, /chess/, 'the filter kept games out of the context');
  await store.db.close();
});
