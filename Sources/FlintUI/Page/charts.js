// Our own small SVG charts: horizontal bars whose every bar is a link (keyboard-focusable, with
// its value in its accessible name).
const NS = "http://www.w3.org/2000/svg";

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) el.setAttribute(k, v);
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

/**
 * items: [{label, values: [number…], href, text}] — one bar per value (series), scaled per series.
 * options: {title, series: [name…], format}
 */
export function barChart(items, { title, series = [""], format = (n) => n.toLocaleString("en-US"), width = 520 } = {}) {
  const labelWidth = 130, valueWidth = 110, barHeight = 14, gap = 3, rowGap = 10;
  const rowHeight = series.length * (barHeight + gap) - gap + rowGap;
  const height = Math.max(rowHeight * items.length, 20);
  const maxima = series.map((_, i) => Math.max(1, ...items.map((it) => it.values[i] || 0)));
  const span = width - labelWidth - valueWidth;
  const svg = s("svg", { class: "chart", role: "img", viewBox: `0 0 ${width} ${height}`, width: "100%", "aria-label": title },
    s("title", {}, title));
  items.forEach((it, row) => {
    const y = row * rowHeight;
    const name = `${it.label}: ${series.map((n, i) => `${n ? n + " " : ""}${format(it.values[i] || 0)}`).join(", ")}`;
    const group = s("a", { href: it.href, "aria-label": name, "data-label": it.label },
      s("title", {}, it.text || name),
      s("text", { x: labelWidth - 8, y: y + barHeight - 2, "text-anchor": "end" }, it.label.length > 18 ? it.label.slice(0, 17) + "…" : it.label));
    series.forEach((_, i) => {
      const v = it.values[i] || 0;
      const w = Math.max(v > 0 ? 2 : 0, (v / maxima[i]) * span);
      const by = y + i * (barHeight + gap);
      group.append(s("rect", { class: `bar ${i ? "alt" : ""}`, x: labelWidth, y: by, width: w, height: barHeight, rx: 2 }),
        s("text", { x: labelWidth + w + 6, y: by + barHeight - 2 }, format(v)));
    });
    svg.append(group);
  });
  svg.append(s("line", { class: "axis", x1: labelWidth, x2: labelWidth, y1: 0, y2: height }));
  return svg;
}

/** A vertical histogram: one linked column per bucket. */
export function columnChart(items, { title, width = 420, height = 170 } = {}) {
  const bottom = 22, top = 16, gap = 10;
  const max = Math.max(1, ...items.map((it) => it.value));
  const colWidth = (width - gap * (items.length + 1)) / Math.max(1, items.length);
  const svg = s("svg", { class: "chart", role: "img", viewBox: `0 0 ${width} ${height}`, width: "100%", "aria-label": title }, s("title", {}, title));
  items.forEach((it, i) => {
    const h = ((height - bottom - top) * it.value) / max;
    const x = gap + i * (colWidth + gap);
    svg.append(s("a", { href: it.href, "aria-label": `${it.label}: ${it.value}`, "data-label": it.label },
      s("title", {}, `${it.label}: ${it.value}`),
      s("rect", { class: "bar blue", x, y: height - bottom - h, width: colWidth, height: Math.max(h, it.value ? 2 : 0), rx: 2 }),
      s("text", { x: x + colWidth / 2, y: height - bottom - h - 4, "text-anchor": "middle" }, it.value.toLocaleString("en-US")),
      s("text", { x: x + colWidth / 2, y: height - 6, "text-anchor": "middle" }, it.label)));
  });
  svg.append(s("line", { class: "axis", x1: 0, x2: width, y1: height - bottom, y2: height - bottom }));
  return svg;
}
