// Compile-time checks of the Node entry's and the framework stores' types (node/index.d.ts,
// stores/*.d.ts). Their peers' own declarations need Node's types and newer libs, so this file
// has its own tsconfig with skipLibCheck: ours are checked, theirs are only read.
import { open, databases, deleteDatabase } from 'ruvector-web';
import type { Database } from 'ruvector-web';
import { RuvectorStore } from 'ruvector-web/langchain';
import { RuvectorVectorStore } from 'ruvector-web/llamaindex';
import { VectorStoreQueryMode } from '@llamaindex/core/vector-store';

export async function nodeAndStores(db: Database): Promise<void> {
  const here: Database = await open('notes', { dimensions: 3, path: './data', durability: 'relaxed' });
  const names: string[] = await databases({ path: './data' });
  await deleteDatabase('notes', { path: './data' });
  const removed: number = await here.delete({ filter: { tag: 'x' } });
  const store = new RuvectorStore(null, { db, searchMode: 'hybrid' });
  await store.delete({ filter: { tag: 'x' } });
  const docs = await store.similaritySearch('query', 3, { tag: 'x' });
  const li = new RuvectorVectorStore({ db });
  const result = await li.query({ queryEmbedding: [1, 2, 3], similarityTopK: 2, mode: VectorStoreQueryMode.DEFAULT });
  console.log(names, removed, docs.length, result.ids);
  const here2: Database = await open('notes', { thread: 'main' });
  console.log(here2.name);
  // @ts-expect-error path is a directory name, not a number
  await open('notes', { path: 1 });
  // @ts-expect-error the engine runs in a worker or the calling thread
  await open('notes', { thread: 'fibre' });
  // @ts-expect-error searchMode is vector, text or hybrid
  new RuvectorStore(null, { db, searchMode: 'fuzzy' });
}
