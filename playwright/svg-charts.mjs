// Two small chart kinds as SVG strings, for benches/report.html: a line chart with a log y
// axis (recall against QPS, one curve per system, like ann-benchmarks) and a horizontal bar
// chart. No script at view time; colours are fixed per series index.
const COLOURS = ['#d62728', '#1f77b4', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
const W = 900;
const esc = (t) => String(t).replace(/&/g, '&amp;').replace(/</g, '&lt;');
const text = (x, y, t, attrs = '') => `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${esc(t)}</text>`;
const fmt = (v) => (v >= 100 ? Math.round(v).toLocaleString('en-US') : v >= 10 ? v.toFixed(1) : v.toFixed(2));

/**
 * Series of `{ name, points: [{ x, y, label }] }` drawn as polylines, x linear from `xMin`
 * to 1, y on a log scale; `marker` draws a dashed vertical line at that x.
 */
export function lineChart({ title, xLabel, yLabel, series, xMin = 0, marker }) {
  const H = 460, L = 70, R = 230, T = 40, B = 50;
  const ys = series.flatMap((s) => s.points.map((p) => p.y)).filter((y) => y > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.min(...ys)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...ys)));
  const px = (x) => L + ((Math.max(x, xMin) - xMin) / (1 - xMin)) * (W - L - R);
  const py = (y) => T + (1 - (Math.log10(y) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (H - T - B);
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-size="12" font-family="system-ui,sans-serif">`,
    text(L, 22, title, 'font-size="15" font-weight="600"')];
  for (let d = lo; d <= hi; d *= 10) {
    out.push(`<line x1="${L}" x2="${W - R}" y1="${py(d)}" y2="${py(d)}" stroke="#ddd"/>`, text(L - 8, py(d) + 4, fmt(d), 'text-anchor="end"'));
  }
  for (let i = 0; i <= 5; i++) {
    const x = xMin + (i * (1 - xMin)) / 5;
    out.push(`<line x1="${px(x)}" x2="${px(x)}" y1="${T}" y2="${H - B}" stroke="#eee"/>`, text(px(x), H - B + 18, x.toFixed(2), 'text-anchor="middle"'));
  }
  if (marker != null) out.push(`<line x1="${px(marker)}" x2="${px(marker)}" y1="${T}" y2="${H - B}" stroke="#888" stroke-dasharray="5 4"/>`);
  out.push(text((L + W - R) / 2, H - 10, xLabel, 'text-anchor="middle"'), text(16, (T + H - B) / 2, yLabel, `text-anchor="middle" transform="rotate(-90 16 ${(T + H - B) / 2})"`));
  series.forEach((s, i) => {
    const c = COLOURS[i % COLOURS.length];
    const pts = s.points.filter((p) => p.y > 0);
    out.push(`<path d="${pts.map((p, j) => `${j ? 'L' : 'M'}${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(' ')}" fill="none" stroke="${c}" stroke-width="2"/>`);
    for (const p of pts) {
      out.push(`<circle cx="${px(p.x).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="3.5" fill="${c}"/>`, text(px(p.x) + 5, py(p.y) - 5, p.label, `fill="${c}" font-size="10"`));
    }
    out.push(`<rect x="${W - R + 16}" y="${T + i * 22}" width="14" height="4" fill="${c}"/>`, text(W - R + 36, T + i * 22 + 6, s.name));
  });
  out.push('</svg>');
  return out.join('\n');
}

/** Items `{ label, value, note }` as horizontal bars from zero; a null value shows its note. */
export function barChart({ title, unit, items }) {
  const row = 30, T = 40, L = 260, R = 140;
  const H = T + items.length * row + 10;
  const max = Math.max(...items.map((it) => it.value ?? 0), 1e-9);
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-size="12" font-family="system-ui,sans-serif">`,
    text(0, 22, title, 'font-size="15" font-weight="600"')];
  items.forEach((it, i) => {
    const y = T + i * row;
    out.push(text(L - 8, y + 16, it.label, 'text-anchor="end"'));
    if (it.value == null) {
      out.push(text(L, y + 16, it.note || 'no result', 'fill="#a00"'));
      return;
    }
    const w = (it.value / max) * (W - L - R);
    out.push(`<rect x="${L}" y="${y + 4}" width="${Math.max(w, 1).toFixed(1)}" height="${row - 10}" fill="${COLOURS[i % COLOURS.length]}"/>`,
      text(L + w + 6, y + 16, `${fmt(it.value)} ${unit}`));
  });
  out.push('</svg>');
  return out.join('\n');
}
