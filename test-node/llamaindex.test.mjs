// ruvector-web/llamaindex against the real @llamaindex/core: nodes with embeddings in, queries
// with top-k and metadata filters, text kept, delete by source document, text and hybrid modes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TextNode, NodeRelationship, MetadataMode } from '@llamaindex/core/schema';
import { BaseEmbedding } from '@llamaindex/core/embeddings';
import { RuvectorVectorStore, toFilter } from 'ruvector-web/llamaindex';
import { RuvectorError } from 'ruvector-web';
import { bagOfWords } from './words.mjs';

let dir;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ruvector-llamaindex-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Texts sharing words are close (test-node/words.mjs), in 32 dimensions. */
const embed = (text) => bagOfWords(text, 32);

/** The embedding model the store is given, as LlamaIndex wants one. */
class WordEmbedding extends BaseEmbedding {
  async getTextEmbedding(text) {
    return embed(text);
  }
}
const embedModel = new WordEmbedding();

const node = (id, text, doc, metadata) =>
  new TextNode({ id_: id, text, embedding: embed(text), metadata, relationships: { [NodeRelationship.SOURCE]: { nodeId: doc } } });

const NODES = [
  node('n1', 'chess engines search game trees', 'docA', { topic: 'games', tags: ['ai', 'board'], year: 2001 }),
  node('n2', 'stockfish is a strong chess engine', 'docA', { topic: 'games', tags: ['board'], year: 2008 }),
  node('n3', 'nginx is a fast web server', 'docB', { topic: 'web', tags: ['server'], year: 2004 }),
  node('n4', 'curl fetches urls from a web server', 'docB', { topic: 'web', tags: ['client'], year: 1998 }),
  node('n5', 'postgres stores rows in tables', 'docC', { topic: 'db', tags: [], year: 1996 }),
];

test('nodes in, nodes back: top-k, text, metadata and relationships', async () => {
  const store = await RuvectorVectorStore.open({ name: 'li-basic', path: dir, dimensions: 32, embedModel });
  assert.equal(store.storesText, true);
  assert.deepEqual(await store.add(NODES), ['n1', 'n2', 'n3', 'n4', 'n5']);
  const r = await store.query({ queryEmbedding: embed('chess stockfish engines'), similarityTopK: 2, mode: 'default' });
  assert.deepEqual(r.ids.sort(), ['n1', 'n2']);
  assert.equal(r.similarities.length, 2);
  const n2 = r.nodes.find((n) => n.id_ === 'n2');
  assert.ok(n2 instanceof TextNode);
  assert.equal(n2.getContent(MetadataMode.NONE), 'stockfish is a strong chess engine');
  assert.equal(n2.metadata.year, 2008);
  assert.equal(n2.sourceNode?.nodeId, 'docA');
  await store.db.close();
});

test('metadata filters: operators, and/or, docIds; what cannot be expressed is a typed error', async () => {
  const store = await RuvectorVectorStore.open({ name: 'li-filters', path: dir, dimensions: 32, embedModel });
  await store.add(NODES);
  const ids = async (filters, docIds) => (await store.query({ queryEmbedding: embed('server chess rows'), similarityTopK: 10, mode: 'default', filters, docIds })).ids.sort();
  assert.deepEqual(await ids({ filters: [{ key: 'topic', value: 'web', operator: '==' }] }), ['n3', 'n4']);
  assert.deepEqual(await ids({ filters: [{ key: 'year', value: 2004, operator: '>=' }] }), ['n2', 'n3']);
  assert.deepEqual(await ids({ filters: [{ key: 'topic', value: ['db', 'web'], operator: 'in' }, { key: 'year', value: 2000, operator: '<' }], condition: 'and' }), ['n4', 'n5']);
  assert.deepEqual(await ids({ filters: [{ key: 'topic', value: 'db', operator: '==' }, { key: 'year', value: 2008, operator: '==' }], condition: 'or' }), ['n2', 'n5']);
  assert.deepEqual(await ids({ filters: [{ key: 'tags', value: 'board', operator: 'contains' }] }), ['n1', 'n2']);
  assert.deepEqual(await ids({ filters: [{ key: 'tags', value: ['ai', 'server'], operator: 'any' }] }), ['n1', 'n3']);
  assert.deepEqual(await ids({ filters: [{ key: 'tags', value: ['ai', 'board'], operator: 'all' }] }), ['n1']);
  assert.deepEqual(await ids({ filters: [{ key: 'tags', operator: 'is_empty' }] }), ['n5']);
  assert.deepEqual(await ids({ filters: [{ key: 'topic', value: 'games', operator: '!=' }] }, ['docB']), ['n3', 'n4']);
  assert.throws(() => toFilter({ filters: [{ key: 'topic', value: 'we', operator: 'text_match' }] }), (e) => e instanceof RuvectorError && e.code === 'INVALID_FILTER');
  await assert.rejects(store.query({ queryEmbedding: embed('x'), similarityTopK: 2, mode: 'default', filters: { filters: [{ key: 'topic', value: 'we', operator: 'text_match' }] } }), (e) => e.code === 'INVALID_FILTER');
  await assert.rejects(store.query({ queryEmbedding: embed('x'), similarityTopK: 2, mode: 'svm' }), (e) => e.code === 'INVALID_QUERY');
  await store.db.close();
});

test('delete by source document; sparse (BM25) and hybrid queries; replacing a node', async () => {
  const store = await RuvectorVectorStore.open({ name: 'li-delete', path: dir, dimensions: 32, embedModel });
  await store.add(NODES);
  await store.delete('docB');
  assert.equal(await store.db.count(), 3);
  const left = await store.query({ queryEmbedding: embed('web server'), similarityTopK: 5, mode: 'default' });
  assert.deepEqual(left.ids.sort(), ['n1', 'n2', 'n5']);
  const sparse = await store.query({ queryStr: 'stockfish', similarityTopK: 1, mode: 'sparse' });
  assert.deepEqual(sparse.ids, ['n2']);
  assert.equal(sparse.nodes[0].getContent(MetadataMode.NONE), 'stockfish is a strong chess engine');
  const hybrid = await store.query({ queryStr: 'postgres tables', queryEmbedding: embed('postgres tables'), similarityTopK: 1, mode: 'hybrid' });
  assert.deepEqual(hybrid.ids, ['n5']);
  // alpha weighs the two rankings: all text finds the word, all vector the embedding.
  const byText = await store.query({ queryStr: 'stockfish', queryEmbedding: embed('web server'), similarityTopK: 1, mode: 'hybrid', alpha: 0 });
  const byVector = await store.query({ queryStr: 'stockfish', queryEmbedding: embed('postgres stores rows in tables'), similarityTopK: 1, mode: 'hybrid', alpha: 1 });
  assert.deepEqual([byText.ids, byVector.ids], [['n2'], ['n5']]);
  await assert.rejects(store.query({ queryStr: 'x', queryEmbedding: embed('x'), similarityTopK: 1, mode: 'hybrid', alpha: 2 }), (e) => e.code === 'INVALID_QUERY');
  await store.add([node('n5', 'postgres keeps tables on disk', 'docC', { topic: 'db', tags: [], year: 2024 })]);
  assert.equal(await store.db.count(), 3);
  const again = await store.query({ queryStr: 'disk', similarityTopK: 1, mode: 'sparse' });
  assert.equal(again.nodes[0].metadata.year, 2024);
  await store.db.close();
});
