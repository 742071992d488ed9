// Flint's page: one module per view, a hash router, and the calls every view shares.
import { dataView } from "/ui/data.js";
import { triggersView } from "/ui/triggers.js";
import { rulesView } from "/ui/rules.js";
import { crmView } from "/ui/crm.js";

const views = { data: dataView, triggers: triggersView, rules: rulesView, crm: crmView };
export const state = { project: localStorage.getItem("flint.project") || "", database: localStorage.getItem("flint.database") || "(default)" };
let current = null;   // { name, stop }
let timers = [];

/** Calls Flint as an admin (the emulator's `Bearer owner`); answers parsed JSON or throws with the server's message. */
export async function api(path, { method = "GET", body } = {}) {
  const init = { method, headers: { Authorization: "Bearer owner" } };
  if (body !== undefined) { init.body = JSON.stringify(body); init.headers["Content-Type"] = "application/json"; }
  const response = await fetch(path, init);
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  if (!response.ok) {
    const message = json?.error?.message || json?.[0]?.error?.message || text || response.statusText;
    const error = new Error(`${response.status}: ${message}`);
    error.status = response.status;
    throw error;
  }
  return json;
}

export const dbPath = () => `projects/${encodeURIComponent(state.project)}/databases/${encodeURIComponent(state.database)}`;
export const docsURL = (path = "") => `/v1/${dbPath()}/documents${path ? "/" + path.split("/").map(encodeURIComponent).join("/") : ""}`;

/** Builds DOM: h("a", {href: "#"}, "text", child…). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElementNS(tag === "svg" || attrs.svg ? "http://www.w3.org/2000/svg" : "http://www.w3.org/1999/xhtml", tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false || k === "svg") continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k === "className" ? "class" : k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

export function toast(message, isError = false) {
  const t = document.getElementById("toast");
  t.textContent = message;
  t.style.background = isError ? "#c92a2a" : "";
  t.classList.add("show");
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => t.classList.remove("show"), isError ? 6000 : 2500);
}

/** Runs `fn` now and every `ms` while the view stays open (the page's live updates). */
export function every(ms, fn) {
  let busy = false;
  const tick = async () => {
    if (busy || document.hidden) return;
    busy = true;
    try { await fn(); } catch (e) { console.warn(e); } finally { busy = false; }
  };
  tick();
  timers.push(setInterval(tick, ms));
}

export const fmt = (n) => (typeof n === "number" ? n.toLocaleString("en-US", { maximumFractionDigits: 2 }) : String(n));

/** `#/view?k=v…` → { view, params }. */
function parseHash() {
  const [path, query = ""] = location.hash.replace(/^#\/?/, "").split("?");
  return { view: views[path] ? path : "data", params: new URLSearchParams(query) };
}

export function link(view, params = {}) {
  const q = new URLSearchParams(params).toString();
  return `#/${view}${q ? "?" + q : ""}`;
}

async function route() {
  const { view, params } = parseHash();
  timers.forEach(clearInterval);
  timers = [];
  if (params.get("p")) state.project = params.get("p");
  if (params.get("d")) state.database = params.get("d");
  await ensureProject();
  document.getElementById("scope-project").value = state.project;
  document.getElementById("scope-database").value = state.database;
  for (const [name] of Object.entries(views)) {
    document.getElementById(`tab-${name}`).setAttribute("aria-selected", String(name === view));
    document.getElementById(`tab-${name}`).tabIndex = name === view ? 0 : -1;
  }
  const main = document.getElementById("main");
  const keepFocus = current?.name === view;
  main.replaceChildren();
  const render = current = { name: view };
  document.title = `Flint · ${document.getElementById(`tab-${view}`).textContent}`;
  main.setAttribute("aria-busy", "true");
  main.dataset.view = view;
  try { await views[view](main, params); } catch (e) { main.append(h("p", { className: "error" }, e.message)); }
  if (current === render) main.removeAttribute("aria-busy");
  if (!keepFocus && document.activeElement === document.body) main.focus({ preventScroll: true });
}

/** Without a project yet, takes the first one holding data (else demo-flint, the seeder's). */
async function ensureProject() {
  if (state.project) return;
  try {
    const { databases } = await api("/emulator/v1/databases");
    if (databases.length) { state.project = databases[0].project; state.database = databases[0].database; }
  } catch { /* the default below */ }
  state.project ||= "demo-flint";
}

function setup() {
  document.getElementById("scope").addEventListener("submit", (e) => {
    e.preventDefault();
    state.project = document.getElementById("scope-project").value.trim() || state.project;
    state.database = document.getElementById("scope-database").value.trim() || "(default)";
    localStorage.setItem("flint.project", state.project);
    localStorage.setItem("flint.database", state.database);
    location.hash = link(parseHash().view, { p: state.project, d: state.database });
  });
  // Arrow keys move between the view tabs, as a tablist does.
  document.getElementById("tabs").addEventListener("keydown", (e) => {
    if (!["ArrowLeft", "ArrowRight"].includes(e.key)) return;
    const tabs = [...document.querySelectorAll("#tabs [role=tab]")];
    const i = tabs.indexOf(document.activeElement);
    const next = tabs[(i + (e.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
    next.focus();
    next.click();
  });
  window.addEventListener("hashchange", route);
  route();
}

setup();
