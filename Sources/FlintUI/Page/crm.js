// The CRM health view: the engine's profiles and orders summarised by aggregation queries
// (server-side, `…/dashboard`), charts of them, and the lists behind them. Every number links
// to the Data view with the query that counts it.
import { api, docsURL, every, fmt, h, link, state } from "/ui/app.js";
import { barChart, columnChart } from "/ui/charts.js";
import { structuredQuery } from "/ui/data.js";
import { brief } from "/ui/values.js";

export async function crmView(main) {
  const body = h("div", { id: "crm" });
  main.append(h("h2", {}, "CRM health ", h("span", { className: "muted" }, `${state.project} / ${state.database}`)), body);
  every(3000, () => render(body));
}

/** The Data view showing the documents a number counts. */
const open = (collection, filters = [], extra = {}) =>
  link("data", { p: state.project, d: state.database, c: collection, q: JSON.stringify({ filters, limit: 100, ...extra }) });
const openNumber = (n) => open(n.collection, n.filters);

async function lists() {
  const run = async (collection, spec) => {
    const answers = await api(`${docsURL()}:runQuery`, { method: "POST", body: { structuredQuery: structuredQuery(collection, spec) } });
    return answers.filter((a) => a.document).map((a) => a.document);
  };
  const eq = (field, v) => ({ field, op: "EQUAL", value: typeof v === "boolean" ? { booleanValue: v } : { stringValue: v } });
  const top = { filters: [], order: { field: "totalSpent", direction: "DESCENDING" }, limit: 10 };
  const dubious = { filters: [eq("isDubious", true)], limit: 25 };
  const blacklisted = { filters: [{ field: "blacklistReason", op: "IS_NOT_NULL" }], limit: 25 };
  const review = { filters: [eq("approval.status", "manual_review"), eq("internalStatus", "created_pending")], limit: 50 };
  const queued = { filters: [eq("status", "queued")], limit: 25 };
  const [a, b, c, d, e] = await Promise.all([run("customers", top), run("customers", dubious), run("customers", blacklisted), run("orders", review), run("notifications", queued)]);
  return { top: [a, top], dubious: [b, dubious], blacklisted: [c, blacklisted], review: [d, review], queued: [e, queued] };
}

async function render(body) {
  const [report, l] = await Promise.all([api(`/emulator/v1/projects/${encodeURIComponent(state.project)}/databases/${encodeURIComponent(state.database)}/dashboard`), lists()]);
  const signature = JSON.stringify([report, l]);
  if (body.dataset.signature === signature) return;
  body.dataset.signature = signature;
  const bars = (numbers, title, opts = {}) => barChart(numbers.map((n) => ({ label: n.label, values: [n.count], href: openNumber(n) })), { title, ...opts });
  const kpi = (label, value, href, id) => h("a", { className: "kpi", href, id }, h("b", {}, fmt(value)), h("span", {}, label));
  const flag = (label) => report.flags.find((f) => f.label === label);
  const unlisted = (key) => report.unlisted[key] ? h("p", { className: "muted" }, `${fmt(report.unlisted[key])} without one of these values`) : "";
  const name = (d) => d.fields?.name ? brief(d.fields.name).replace(/^"|"$/g, "") : "";
  const docLink = (d, text) => { const p = d.name.split("/documents/")[1]; return h("a", { className: "mono", href: link("data", { p: state.project, d: state.database, c: p.split("/")[0], doc: p }) }, text || p.split("/").pop()); };
  const table = (caption, [docs, spec], collection, columns) => h("div", { className: "panel" },
    h("h3", {}, caption, " ", h("a", { href: open(collection, spec.filters, { order: spec.order || null, limit: spec.limit }), className: "count" }, `(${docs.length}${docs.length === spec.limit ? "+" : ""} — open query)`)),
    docs.length ? h("table", {}, h("thead", {}, h("tr", {}, columns.map(([t]) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, docs.map((d) => h("tr", {}, columns.map(([, f]) => h("td", {}, f(d)))))))
      : h("p", { className: "muted" }, "None."));
  const field = (path) => (d) => {
    let v = { mapValue: { fields: d.fields } };
    for (const part of path.split(".")) v = v?.mapValue?.fields?.[part];
    return v ? brief(v).replace(/^"|"$/g, "") : "";
  };

  body.replaceChildren(
    h("div", { className: "kpis" },
      kpi("customers", report.customers, open("customers"), "kpi-customers"), kpi("orders", report.orders, open("orders"), "kpi-orders"),
      kpi("dubious customers", flag("dubious").count, openNumber(flag("dubious")), "kpi-dubious"),
      kpi("blacklisted", flag("blacklisted").count, openNumber(flag("blacklisted")), "kpi-blacklisted"),
      kpi("orders awaiting review", flag("awaiting review").count, openNumber(flag("awaiting review")), "kpi-review"),
      kpi("notifications", report.notifications, open("notifications"), "kpi-notifications")),
    h("div", { className: "grid2" },
      h("div", { className: "panel", id: "chart-segments" }, h("h3", {}, "Customers per segment"), bars(report.segments, "Customers per segment"), unlisted("segments")),
      h("div", { className: "panel", id: "chart-tiers" }, h("h3", {}, "Customers per loyalty tier"), bars(report.tiers, "Customers per loyalty tier"), unlisted("tiers")),
      h("div", { className: "panel", id: "chart-trust" }, h("h3", {}, "Trust-score distribution"),
        columnChart(report.trustScores.map((n) => ({ label: n.label, value: n.count, href: openNumber(n) })), { title: "Customers per trust-score range" })),
      h("div", { className: "panel", id: "chart-regions" }, h("h3", {}, "totalSpent and lifetimeValue by region"),
        h("div", { className: "legend" }, h("span", {}, h("i"), "totalSpent"), h("span", {}, h("i", { className: "alt" }), "lifetimeValue")),
        barChart(report.regions.map((n) => ({ label: n.label, values: [n.sums.totalSpent, n.sums.lifetimeValue], href: openNumber(n),
          text: `${n.label}: ${n.count} customers, totalSpent ${fmt(n.sums.totalSpent)}, lifetimeValue ${fmt(n.sums.lifetimeValue)}` })),
          { title: "totalSpent and lifetimeValue by region", series: ["totalSpent", "lifetimeValue"] }), unlisted("regions")),
      h("div", { className: "panel", id: "chart-statuses" }, h("h3", {}, "Orders per status"), bars(report.orderStatuses, "Orders per status"), unlisted("orderStatuses")),
      h("div", { className: "panel", id: "chart-couriers" }, h("h3", {}, "Orders per courier"), bars(report.couriers.filter((n) => n.count > 0), "Orders per courier"),
        unlisted("couriers"), h("h3", {}, "Approvals"), bars(report.approvals, "Orders per approval decision"))),
    h("div", { className: "grid2" },
      table("Top customers by totalSpent", l.top, "customers", [["customer", (d) => docLink(d)], ["name", name], ["totalSpent", field("totalSpent")], ["lifetimeValue", field("lifetimeValue")], ["tier", field("loyaltyTier")], ["segment", field("customerSegment")]]),
      table("Manual-review approval queue", l.review, "orders", [["order", (d) => docLink(d)], ["customer", field("customerPhone")], ["total", field("total")], ["reason", field("approval.reason")]]),
      table("Dubious customers", l.dubious, "customers", [["customer", (d) => docLink(d)], ["name", name], ["trust", field("trustScore")], ["return rate", field("returnRate")]]),
      table("Blacklisted customers", l.blacklisted, "customers", [["customer", (d) => docLink(d)], ["name", name], ["reason", field("blacklistReason")]]),
      h("div", {}, table("Notification queue", l.queued, "notifications", [["notification", (d) => docLink(d)], ["template", field("template")], ["to", field("customerPhone")], ["language", field("language")]]),
        h("div", { className: "panel" }, h("h3", {}, "Notifications per status"), bars(report.notificationStatuses, "Notifications per status"), unlisted("notificationStatuses")))));
}
