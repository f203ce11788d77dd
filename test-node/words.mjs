// A deterministic embedding for the framework stores' tests: the words of a text (FNV-1a hashed)
// counted into `dims` buckets, normalised, so that texts sharing words are close.

/** The bag-of-words vector of `text` in `dims` dimensions. */
export function bagOfWords(text, dims) {
  const v = new Array(dims).fill(0);
  for (const w of text.toLowerCase().match(/[a-z]+/g) ?? []) {
    let h = 2166136261;
    for (const c of w) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
    v[(h >>> 0) % dims] += 1;
  }
  const n = Math.hypot(...v) || 1;
  return v.map((x) => x / n);
}
