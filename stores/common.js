// What the framework stores (stores/langchain.js, stores/llamaindex.js) share: writing records
// with replace-by-id semantics, and asking once whether a database has a text index.

/**
 * Inserts `records` in one atomic write; when some id exists already, replaces those (as the
 * frameworks' stores do), one upsert each, and inserts the rest. Resolves to the ids in order.
 */
export async function putRecords(db, records) {
  try {
    return await db.insert(records);
  } catch (e) {
    if (e?.code !== 'DUPLICATE_ID') throw e;
  }
  const out = [];
  for (const r of records) {
    if (r.id === undefined) out.push(await db.insert(r));
    else {
      await db.upsert(r.id, { vector: r.vector, metadata: r.metadata, text: r.text });
      out.push(r.id);
    }
  }
  return out;
}

const indexed = new WeakMap();

/** Whether `db` has a text index (its texts are stored and BM25-searchable); asked once per handle. */
export async function hasTextIndex(db) {
  if (!indexed.has(db)) indexed.set(db, (await db.stats()).config?.text != null);
  return indexed.get(db);
}
