// Firestore values in their REST JSON form: naming their type, showing them, and reading them
// back from the editor's (type, text) pairs.
import { h, link, state } from "/ui/app.js";

export const TYPES = ["string", "integer", "double", "boolean", "null", "timestamp", "reference", "geopoint", "bytes", "map", "array"];

export function typeOf(v) {
  if ("stringValue" in v) return "string";
  if ("integerValue" in v) return "integer";
  if ("doubleValue" in v) return "double";
  if ("booleanValue" in v) return "boolean";
  if ("nullValue" in v) return "null";
  if ("timestampValue" in v) return "timestamp";
  if ("referenceValue" in v) return "reference";
  if ("geoPointValue" in v) return "geopoint";
  if ("bytesValue" in v) return "bytes";
  if ("mapValue" in v) return v.mapValue.fields?.__type__?.stringValue === "__vector__" ? "vector" : "map";
  if ("arrayValue" in v) return "array";
  return "unknown";
}

/** A short text for a value (lists, previews, diffs). */
export function brief(v) {
  if (v === undefined) return "—";
  switch (typeOf(v)) {
    case "string": return JSON.stringify(v.stringValue);
    case "integer": return v.integerValue;
    case "double": return String(v.doubleValue);
    case "boolean": return String(v.booleanValue);
    case "null": return "null";
    case "timestamp": return v.timestampValue;
    case "reference": return v.referenceValue.replace(/^projects\/[^/]+\/databases\/[^/]+\/documents\//, "");
    case "geopoint": return `${v.geoPointValue.latitude ?? 0}, ${v.geoPointValue.longitude ?? 0}`;
    case "bytes": return `bytes(${v.bytesValue.length})`;
    case "map": case "vector": return "{" + Object.entries(v.mapValue.fields || {}).map(([k, x]) => `${k}: ${brief(x)}`).join(", ") + "}";
    case "array": return "[" + (v.arrayValue.values || []).map(brief).join(", ") + "]";
    default: return JSON.stringify(v);
  }
}

const CLASS = { string: "string", integer: "number", double: "number", boolean: "bool", null: "null" };

/** A value with its type, maps and arrays nested. */
export function show(v) {
  const type = typeOf(v);
  if (type === "map" || type === "array") {
    const entries = type === "map" ? Object.entries(v.mapValue.fields || {}).sort(([a], [b]) => a.localeCompare(b))
      : (v.arrayValue.values || []).map((x, i) => [String(i), x]);
    return h("details", { open: entries.length <= 6 || undefined },
      h("summary", {}, h("span", { className: "type" }, `${type}(${entries.length})`)),
      h("table", {}, h("tbody", {}, entries.map(([k, x]) => h("tr", {}, h("th", { scope: "row", className: "mono" }, k), h("td", {}, show(x)))))));
  }
  if (type === "reference") {
    const path = brief(v);
    return h("span", {}, h("span", { className: "type" }, type), " ",
      h("a", { className: "val", href: link("data", { p: state.project, d: state.database, doc: path, c: path.split("/").slice(0, -1).join("/") }) }, path));
  }
  return h("span", {}, h("span", { className: "type" }, type), " ", h("span", { className: `val ${CLASS[type] || ""}` }, type === "string" ? v.stringValue : brief(v)));
}

/** The editor's text for a value of its type. */
export function editText(v) {
  const type = typeOf(v);
  switch (type) {
    case "string": return v.stringValue;
    case "integer": return v.integerValue;
    case "double": return String(v.doubleValue);
    case "boolean": return String(v.booleanValue);
    case "null": return "";
    case "timestamp": return v.timestampValue;
    case "reference": return v.referenceValue;
    case "geopoint": return `${v.geoPointValue.latitude ?? 0}, ${v.geoPointValue.longitude ?? 0}`;
    case "bytes": return v.bytesValue;
    default: return JSON.stringify(v, null, 1);
  }
}

/** Reads an editor row back into a value; throws naming what is wrong. */
export function parseValue(type, text, field) {
  const fail = (what) => { throw new Error(`Field "${field}": ${what}`); };
  switch (type) {
    case "string": return { stringValue: text };
    case "integer": if (!/^-?\d+$/.test(text.trim())) fail("an integer needs digits only"); return { integerValue: text.trim() };
    case "double": { const x = Number(text); if (text.trim() === "" || Number.isNaN(x)) fail("not a number"); return { doubleValue: x }; }
    case "boolean": if (!["true", "false"].includes(text.trim())) fail("a boolean is true or false"); return { booleanValue: text.trim() === "true" };
    case "null": return { nullValue: null };
    case "timestamp": if (Number.isNaN(Date.parse(text))) fail("a timestamp is RFC 3339, e.g. 2025-10-10T09:42:00Z"); return { timestampValue: text.trim() };
    case "reference": {
      const ref = text.trim().startsWith("projects/") ? text.trim() : `projects/${state.project}/databases/${state.database}/documents/${text.trim()}`;
      return { referenceValue: ref };
    }
    case "geopoint": {
      const [lat, lng] = text.split(",").map(Number);
      if (Number.isNaN(lat) || Number.isNaN(lng)) fail("a geopoint is latitude, longitude");
      return { geoPointValue: { latitude: lat, longitude: lng } };
    }
    case "bytes": return { bytesValue: text.trim() };
    case "map": case "array": case "vector": {
      let v;
      try { v = JSON.parse(text); } catch { fail("expected a typed JSON value such as {\"mapValue\": {\"fields\": {…}}}"); }
      if (type === "array" && !("arrayValue" in v)) fail("expected {\"arrayValue\": {\"values\": […]}}");
      if (type !== "array" && !("mapValue" in v)) fail("expected {\"mapValue\": {\"fields\": {…}}}");
      return v;
    }
    default: fail(`unknown type ${type}`);
  }
}

/** A value for a filter: the text as the chosen type (with "auto" guessing numbers and booleans). */
export function filterValue(type, text) {
  if (type === "auto") {
    if (/^-?\d+$/.test(text)) return { integerValue: text };
    if (text !== "" && !Number.isNaN(Number(text))) return { doubleValue: Number(text) };
    if (text === "true" || text === "false") return { booleanValue: text === "true" };
    if (text === "null") return { nullValue: null };
    return { stringValue: text };
  }
  return parseValue(type, text, "filter");
}
