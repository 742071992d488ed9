// The Data view: databases holding data, the collection tree with counts, documents a page at a
// time, a document's typed fields (add, edit, delete), recursive collection delete, and a query
// builder that shows results with the explain metrics.
import { api, dbPath, docsURL, every, fmt, h, link, state, toast } from "/ui/app.js";
import { TYPES, brief, editText, filterValue, parseValue, show, typeOf } from "/ui/values.js";

const PAGE = 50;
const PREVIEW_FIRST = ["name", "title", "label", "customerPhone", "internalStatus", "status", "total", "template"];
const OPS = [["EQUAL", "=="], ["NOT_EQUAL", "!="], ["LESS_THAN", "<"], ["LESS_THAN_OR_EQUAL", "<="], ["GREATER_THAN", ">"],
  ["GREATER_THAN_OR_EQUAL", ">="], ["ARRAY_CONTAINS", "array-contains"], ["IN", "in"], ["ARRAY_CONTAINS_ANY", "array-contains-any"],
  ["NOT_IN", "not-in"], ["IS_NULL", "is null"], ["IS_NOT_NULL", "is not null"]];
// Page tokens of the pages before the current one, per collection (Back walks them).
const pages = { collection: null, tokens: [""], index: 0 };
let editing = false;

export async function dataView(main, params) {
  editing = false;
  const collection = params.get("c") || "";
  const docPath = params.get("doc") || "";
  const query = params.get("q") ? JSON.parse(params.get("q")) : null;
  if (pages.collection !== collection) Object.assign(pages, { collection, tokens: [""], index: 0 });

  const tree = h("div", { className: "panel" });
  const list = h("div", { className: "panel" });
  const detail = h("div", { className: "panel", id: "detail" });
  main.append(h("h2", {}, "Data ", h("span", { className: "muted path" }, `${state.project} / ${state.database}`)),
    h("div", { className: "cols" }, tree, list, detail));

  await renderTree(tree, collection, docPath);
  if (collection) await renderCollection(list, detail, collection, query);
  else list.append(h("p", { className: "muted" }, "Choose a collection."));
  if (docPath) await renderDocument(detail, docPath);
  else if (!query) detail.append(h("p", { className: "muted" }, collection ? "Choose a document, or add one." : ""));

  // Live: the tree, the page of documents and the open document follow every write.
  every(2500, async () => {
    if (editing) return;
    await renderTree(tree, collection, docPath, true);
    if (collection && !query) await refreshList(list, collection);
    if (docPath && !detail.querySelector(".results")) await renderDocument(detail, docPath, true);
  });
}

const to = (params) => link("data", { p: state.project, d: state.database, ...params });

async function collectionsUnder(parent) {
  const url = `/emulator/v1/${dbPath()}/collections${parent ? "?parent=" + encodeURIComponent(parent) : ""}`;
  return (await api(url)).collections;
}

async function renderTree(panel, collection, docPath, quiet = false) {
  const { databases } = await api("/emulator/v1/databases");
  const roots = await collectionsUnder("");
  // The documents along the open path whose subcollections are shown nested.
  const segments = (docPath || collection).split("/").filter(Boolean);
  const nested = {};
  for (let i = 2; i <= segments.length; i += 2) {
    const doc = segments.slice(0, i).join("/");
    nested[doc] = await collectionsUnder(doc);
  }
  const signature = JSON.stringify([databases, roots, nested, collection, docPath]);
  if (quiet && panel.dataset.signature === signature) return;
  panel.dataset.signature = signature;

  const dbList = h("ul", { className: "tree", "aria-label": "Databases" }, databases.map((d) =>
    h("li", {}, h("a", { href: link("data", { p: d.project, d: d.database }), "aria-current": String(d.project === state.project && d.database === state.database) },
      h("span", {}, `${d.project} / ${d.database}`), h("span", { className: "count" }, fmt(d.documents))))));
  const item = (c) => {
    const open = (collection + "/").startsWith(c.path + "/") || (docPath + "/").startsWith(c.path + "/");
    const children = [];
    if (open) {
      const docID = (docPath || collection).slice(c.path.length + 1).split("/")[0];
      const doc = docID ? `${c.path}/${docID}` : "";
      if (doc && nested[doc]) {
        children.push(h("ul", {}, h("li", {}, h("a", { href: to({ c: c.path, doc }), className: "mono", "aria-current": String(doc === docPath) }, h("span", {}, docID)),
          h("ul", {}, nested[doc].map(item)))));
      }
    }
    return h("li", {}, h("a", { href: to({ c: c.path }), "aria-current": String(c.path === collection && !docPath) },
      h("span", {}, c.id), h("span", { className: "count", title: "documents" }, fmt(c.count))), children);
  };
  panel.replaceChildren(
    h("h3", {}, "Databases"), databases.length ? dbList : h("p", { className: "muted" }, "No database holds data yet."),
    h("h3", {}, "Collections"), roots.length ? h("ul", { className: "tree", "aria-label": "Collection tree" }, roots.map(item)) : h("p", { className: "muted" }, "No collections."));
}

function collectionParent(collection) {
  const parts = collection.split("/");
  return { parent: parts.slice(0, -1).join("/"), id: parts[parts.length - 1] };
}

async function countOf(collection) {
  const { parent, id } = collectionParent(collection);
  const found = (await collectionsUnder(parent)).find((c) => c.id === id);
  return found ? found.count : 0;
}

async function renderCollection(panel, detail, collection, query) {
  const total = await countOf(collection);
  const header = h("div", {},
    h("h2", { className: "path" }, collection),
    h("div", { className: "toolbar" },
      h("button", { type: "button", className: "primary", onclick: () => editDocument(detail, collection, null) }, "Add document"),
      h("button", { type: "button", "aria-expanded": String(!!query), onclick: (e) => { const open = qb.hidden; qb.hidden = !open; e.target.setAttribute("aria-expanded", String(open)); } }, "Query…"),
      h("button", { type: "button", className: "danger", onclick: () => deleteCollection(collection, total) }, "Delete collection")));
  const qb = queryBuilder(collection, query, detail);
  qb.hidden = !query;
  const body = h("div", { id: "doclist" });
  panel.replaceChildren(header, qb, body);
  panel.dataset.total = total;
  if (query) await runQuery(collection, query, detail);
  await refreshList(panel, collection, true);
}

async function refreshList(panel, collection, force = false) {
  const body = panel.querySelector("#doclist");
  const token = pages.tokens[pages.index];
  const url = `${docsURL(collection)}?pageSize=${PAGE}${token ? "&pageToken=" + encodeURIComponent(token) : ""}`;
  const page = await api(url);
  const docs = page.documents || [];
  const signature = JSON.stringify(docs.map((d) => [d.name, d.updateTime])) + page.nextPageToken + pages.index;
  if (!force && body.dataset.signature === signature) return;
  body.dataset.signature = signature;
  const total = Number(panel.dataset.total || 0);
  const first = pages.index * PAGE;
  const current = new URLSearchParams(location.hash.split("?")[1] || "").get("doc");
  const items = docs.map((d) => {
    const path = d.name.split("/documents/")[1];
    const id = path.split("/").pop();
    // Fields that usually name a document come first in its preview.
    const rank = (k) => { const i = PREVIEW_FIRST.indexOf(k); return i < 0 ? PREVIEW_FIRST.length : i; };
    const fields = Object.entries(d.fields || {}).sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
    const preview = fields.slice(0, 3).map(([k, v]) => `${k}: ${brief(v)}`).join(" · ");
    return h("li", {}, h("a", { href: to({ c: collection, doc: path }), "aria-current": String(path === current) },
      h("span", { className: "mono" }, id), h("span", { className: "preview" }, preview)));
  });
  const back = h("button", { type: "button", disabled: pages.index === 0, onclick: () => { pages.index--; refreshList(panel, collection, true); } }, "← Previous");
  const next = h("button", { type: "button", disabled: !page.nextPageToken, onclick: () => {
    pages.tokens[pages.index + 1] = page.nextPageToken;
    pages.index++;
    refreshList(panel, collection, true);
  } }, "Next →");
  body.replaceChildren(
    docs.length ? h("ul", { className: "doclist", "aria-label": `Documents of ${collection}` }, items) : h("p", { className: "muted" }, "No documents."),
    h("div", { className: "pager", "aria-live": "polite" }, back, next,
      h("span", { id: "page-info" }, docs.length ? `Page ${pages.index + 1} · documents ${fmt(first + 1)}–${fmt(first + docs.length)} of ${fmt(total)}` : "")));
}

async function deleteCollection(collection, total) {
  if (!confirm(`Delete ${collection} and everything below it (${fmt(total)} documents and their subcollections)?`)) return;
  await api(`/emulator/v1/${dbPath()}/documents/${collection.split("/").map(encodeURIComponent).join("/")}`, { method: "DELETE" });
  toast(`Deleted ${collection}`);
  location.hash = to({});
}

async function renderDocument(panel, path, quiet = false) {
  let doc;
  try { doc = await api(docsURL(path)); } catch (e) {
    if (e.status === 404) { panel.replaceChildren(h("h2", { className: "path" }, path), h("p", { className: "muted" }, "No such document (it may have been deleted).")); return; }
    throw e;
  }
  const subcollections = await collectionsUnder(path);
  const signature = JSON.stringify([doc.updateTime, subcollections]);
  if (quiet && panel.dataset.signature === signature) return;
  panel.dataset.signature = signature;
  const fields = Object.entries(doc.fields || {}).sort(([a], [b]) => a.localeCompare(b));
  const collection = path.split("/").slice(0, -1).join("/");
  panel.replaceChildren(
    h("h2", { className: "path" }, path),
    h("div", { className: "toolbar" },
      h("button", { type: "button", className: "primary", onclick: () => editDocument(panel, collection, doc) }, "Edit"),
      h("button", { type: "button", className: "danger", onclick: async () => {
        if (!confirm(`Delete ${path}? (Its subcollections stay.)`)) return;
        await api(docsURL(path), { method: "DELETE" });
        toast(`Deleted ${path}`);
        location.hash = to({ c: collection });
      } }, "Delete"),
      h("span", { className: "muted" }, `updated ${doc.updateTime}`)),
    h("table", { className: "fields" }, h("caption", {}, `${fields.length} fields`),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "field"), h("th", { scope: "col" }, "value"))),
      h("tbody", {}, fields.map(([k, v]) => h("tr", { "data-field": k }, h("th", { scope: "row", className: "mono" }, k), h("td", {}, show(v)))))),
    ...(subcollections.length ? [h("h3", {}, "Subcollections"), h("ul", { className: "tree", "aria-label": "Subcollections" }, subcollections.map((c) =>
      h("li", {}, h("a", { href: to({ c: c.path }) }, h("span", {}, c.id), h("span", { className: "count" }, fmt(c.count))))))] : []));
}

/** The typed editor: one row per field (name, type, value); saving replaces the document's fields. */
function editDocument(panel, collection, doc) {
  editing = true;
  const rows = h("tbody", {});
  const addRow = (name = "", value = { stringValue: "" }) => {
    const type = typeOf(value);
    const input = ["map", "array", "vector"].includes(type)
      ? h("textarea", { className: "value", "aria-label": `value of ${name || "new field"}` }, editText(value))
      : h("input", { className: "value", value: editText(value), "aria-label": `value of ${name || "new field"}` });
    const select = h("select", { "aria-label": `type of ${name || "new field"}` }, TYPES.map((t) => h("option", { value: t, selected: t === type || (type === "vector" && t === "map") }, t)));
    select.addEventListener("change", () => {
      if (["map", "array"].includes(select.value) && input.tagName !== "TEXTAREA") {
        const area = h("textarea", { className: "value", "aria-label": input.getAttribute("aria-label") },
          select.value === "map" ? '{"mapValue": {"fields": {}}}' : '{"arrayValue": {"values": []}}');
        input.replaceWith(area);
      }
    });
    const row = h("tr", {}, h("td", {}, h("input", { className: "name", value: name, "aria-label": "field name", placeholder: "field" })),
      h("td", {}, select), h("td", {}, input),
      h("td", {}, h("button", { type: "button", "aria-label": `remove field ${name}`, onclick: () => row.remove() }, "✕")));
    rows.append(row);
    return row;
  };
  for (const [k, v] of Object.entries(doc?.fields || {}).sort(([a], [b]) => a.localeCompare(b))) addRow(k, v);
  if (!doc) addRow();
  const idInput = h("input", { id: "new-doc-id", placeholder: "automatic id", "aria-label": "document id" });
  const form = h("form", { className: "editor", "aria-label": doc ? "Edit document" : "New document" },
    h("h2", { className: "path" }, doc ? doc.name.split("/documents/")[1] : `New document in ${collection}`),
    doc ? [] : h("p", {}, h("label", {}, "Document id ", idInput)),
    h("table", {}, h("thead", {}, h("tr", {}, ["field", "type", "value", ""].map((t) => h("th", { scope: "col" }, t)))), rows),
    h("div", { className: "toolbar" },
      h("button", { type: "button", onclick: () => addRow("", { stringValue: "" }).querySelector("input").focus() }, "Add field"),
      h("button", { type: "submit", className: "primary" }, "Save"),
      h("button", { type: "button", onclick: () => { editing = false; doc ? renderDocument(panel, doc.name.split("/documents/")[1]) : panel.replaceChildren(); } }, "Cancel")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const fields = {};
      for (const row of rows.children) {
        const name = row.querySelector("input.name").value.trim();
        if (!name) continue;
        fields[name] = parseValue(row.querySelector("select").value, row.querySelector(".value").value, name);
      }
      let saved;
      if (doc) saved = await api(docsURL(doc.name.split("/documents/")[1]), { method: "PATCH", body: { fields } });
      else {
        const id = idInput.value.trim();
        saved = await api(`${docsURL(collection)}${id ? "?documentId=" + encodeURIComponent(id) : ""}`, { method: "POST", body: { fields } });
      }
      editing = false;
      const path = saved.name.split("/documents/")[1];
      toast(`Saved ${path}`);
      location.hash = to({ c: collection, doc: path });
      if (doc) await renderDocument(panel, path);
    } catch (err) { toast(err.message, true); }
  });
  panel.replaceChildren(form);
  panel.querySelector("input, select")?.focus();
}

function queryBuilder(collection, query, detail) {
  const q = query || { filters: [], order: null, limit: PAGE };
  const filters = h("div", {});
  const addFilter = (f = { field: "", op: "EQUAL", type: "auto", value: "" }) => {
    // A filter opened from a dashboard number carries a typed value.
    if (f.value !== null && typeof f.value === "object") f = { ...f, type: typeOf(f.value), value: editText(f.value) };
    const row = h("div", { className: "row" },
      h("input", { className: "f-field", value: f.field, placeholder: "field", "aria-label": "filter field" }),
      h("select", { className: "f-op", "aria-label": "operator" }, OPS.map(([v, t]) => h("option", { value: v, selected: v === f.op }, t))),
      h("select", { className: "f-type", "aria-label": "value type" }, ["auto", "string", "integer", "double", "boolean", "timestamp", "null"].map((t) => h("option", { value: t, selected: t === (f.type || "auto") }, t))),
      h("input", { className: "f-value", value: f.value ?? "", placeholder: "value (a, b for in)", "aria-label": "filter value" }),
      h("button", { type: "button", "aria-label": "remove filter", onclick: () => row.remove() }, "✕"));
    filters.append(row);
  };
  (q.filters || []).forEach(addFilter);
  const orderField = h("input", { id: "q-order", value: q.order?.field || "", placeholder: "field", "aria-label": "order by field" });
  const orderDir = h("select", { id: "q-dir", "aria-label": "direction" }, ["ASCENDING", "DESCENDING"].map((d) => h("option", { value: d, selected: d === q.order?.direction }, d.toLowerCase())));
  const limit = h("input", { id: "q-limit", type: "number", min: "1", max: "1000", value: q.limit || PAGE, "aria-label": "limit", size: "5" });
  const form = h("form", { className: "qb panel", "aria-label": "Query builder" },
    h("h3", {}, "Where"), filters,
    h("div", { className: "toolbar" }, h("button", { type: "button", onclick: () => addFilter() }, "Add filter")),
    h("div", { className: "row" }, h("label", {}, "Order by ", orderField), orderDir, h("label", {}, "Limit ", limit)),
    h("div", { className: "toolbar" }, h("button", { type: "submit", className: "primary" }, "Run query"),
      h("a", { className: "button", href: to({ c: collection }) }, "Clear")));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const spec = {
      filters: [...filters.children].map((r) => ({ field: r.querySelector(".f-field").value.trim(), op: r.querySelector(".f-op").value,
        type: r.querySelector(".f-type").value, value: r.querySelector(".f-value").value })).filter((f) => f.field),
      order: orderField.value.trim() ? { field: orderField.value.trim(), direction: orderDir.value } : null,
      limit: Number(limit.value) || PAGE,
    };
    location.hash = to({ c: collection, q: JSON.stringify(spec) });
  });
  return form;
}

/** A filter of the builder (or of a dashboard number) as a StructuredQuery filter. */
export function structuredFilter(f) {
  if (f.op === "IS_NULL" || f.op === "IS_NOT_NULL") return { unaryFilter: { op: f.op, field: { fieldPath: f.field } } };
  let value;
  if (typeof f.value === "object" && f.value !== null) value = f.value;
  else if (["IN", "NOT_IN", "ARRAY_CONTAINS_ANY"].includes(f.op)) {
    value = { arrayValue: { values: String(f.value).split(",").map((s) => filterValue(f.type || "auto", s.trim())) } };
  } else value = filterValue(f.type || "auto", String(f.value ?? ""));
  return { fieldFilter: { field: { fieldPath: f.field }, op: f.op, value } };
}

export function structuredQuery(collectionID, spec) {
  const filters = (spec.filters || []).map(structuredFilter);
  const query = { from: [{ collectionId: collectionID }] };
  if (filters.length === 1) query.where = filters[0];
  if (filters.length > 1) query.where = { compositeFilter: { op: "AND", filters } };
  if (spec.order) query.orderBy = [{ field: { fieldPath: spec.order.field }, direction: spec.order.direction }];
  if (spec.limit) query.limit = spec.limit;
  return query;
}

async function runQuery(collection, spec, panel) {
  const { parent, id } = collectionParent(collection);
  const url = `${docsURL(parent)}:runQuery`;
  panel.replaceChildren(h("p", { className: "muted" }, "Running…"));
  let answers;
  try {
    answers = await api(url, { method: "POST", body: { structuredQuery: structuredQuery(id, spec), explainOptions: { analyze: true } } });
  } catch (e) { panel.replaceChildren(h("h2", {}, "Query"), h("p", { className: "error", role: "alert" }, e.message)); return; }
  const docs = answers.filter((a) => a.document).map((a) => a.document);
  const metrics = answers.find((a) => a.explainMetrics)?.explainMetrics || {};
  const stats = metrics.executionStats || {};
  const fieldNames = [...new Set(docs.flatMap((d) => Object.keys(d.fields || {})))].sort().slice(0, 6);
  const describe = (spec.filters || []).map((f) => `${f.field} ${OPS.find(([v]) => v === f.op)?.[1] || f.op} ${f.op.startsWith("IS_") ? "" : typeof f.value === "object" ? brief(f.value) : f.value}`).join(" and ");
  panel.replaceChildren(h("div", { className: "results" },
    h("h2", {}, "Query results ", h("span", { className: "muted" }, `(${docs.length})`)),
    h("p", { className: "mono" }, `${collection}${describe ? " where " + describe : ""}${spec.order ? ` order by ${spec.order.field} ${spec.order.direction.toLowerCase()}` : ""} limit ${spec.limit}`),
    h("h3", {}, "Explain"),
    h("div", { className: "metrics", id: "explain" },
      h("div", {}, "indexes used", h("b", {}, (metrics.planSummary?.indexesUsed || []).map((i) => i.properties ? `${i.properties} · ${i.query_scope || ""}` : JSON.stringify(i)).join("; ") || "—")),
      h("div", {}, "results returned", h("b", {}, stats.resultsReturned ?? "—")),
      h("div", {}, "read operations", h("b", {}, stats.readOperations ?? "—")),
      h("div", {}, "execution time", h("b", {}, stats.executionDuration ?? "—")),
      Object.entries(stats.debugStats || {}).map(([k, v]) => h("div", {}, k, h("b", {}, typeof v === "object" ? JSON.stringify(v) : v)))),
    h("h3", {}, "Documents"),
    h("table", {}, h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "id"), fieldNames.map((f) => h("th", { scope: "col" }, f)))),
      h("tbody", {}, docs.map((d) => {
        const path = d.name.split("/documents/")[1];
        return h("tr", {}, h("td", {}, h("a", { className: "mono", href: to({ c: collection, doc: path }) }, path.split("/").pop())),
          fieldNames.map((f) => h("td", { className: "val" }, d.fields?.[f] ? brief(d.fields[f]) : "")));
      })))));
}
