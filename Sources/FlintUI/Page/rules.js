// The Rules view: recent security-rule evaluations (outcome, the rule's line and why) and the
// coverage report, from the rules endpoints; says so plainly when there are none.
import { api, every, h, state } from "/ui/app.js";

export async function rulesView(main) {
  const panel = h("div", { className: "panel", id: "rules" });
  const coverage = `/emulator/v1/projects/${encodeURIComponent(state.project)}:ruleCoverage.html`;
  main.append(h("h2", {}, "Rules"),
    h("div", { className: "toolbar" }, h("a", { className: "button", href: coverage, target: "_blank", rel: "noopener" }, "Coverage report ↗")), panel);
  every(2000, () => render(panel));
}

async function render(panel) {
  let answer;
  try {
    answer = await api(`/emulator/v1/projects/${encodeURIComponent(state.project)}:ruleEvaluations?limit=100`);
  } catch (e) {
    const text = e.status === 404 ? "Rule evaluations are not available: this Flint does not evaluate security rules." : `Rule evaluations could not be read: ${e.message}`;
    if (panel.dataset.signature !== text) { panel.dataset.signature = text; panel.replaceChildren(h("p", { className: "notice", role: "status" }, text)); }
    return;
  }
  const signature = JSON.stringify(answer);
  if (panel.dataset.signature === signature) return;
  panel.dataset.signature = signature;
  if (!answer.rulesLoaded) { panel.replaceChildren(h("p", { className: "notice", role: "status" }, "No rules loaded: every request is allowed.")); return; }
  const rows = answer.evaluations || [];
  panel.replaceChildren(h("table", { id: "evaluations" }, h("caption", {}, `Recent evaluations (${rows.length}, newest first)`),
    h("thead", {}, h("tr", {}, ["#", "time", "method", "path", "auth", "outcome", "line", "rule", "why"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, rows.map((r) => h("tr", {},
      h("td", {}, r.id), h("td", { className: "mono" }, (r.time || "").slice(11, 23)), h("td", {}, r.method),
      h("td", { className: "mono" }, r.database && r.database !== "(default)" ? `${r.database}: ${r.path}` : r.path),
      h("td", { className: "mono" }, r.auth ? r.auth.uid || "token" : "none"),
      h("td", {}, h("span", { className: `badge ${r.allowed ? "allowed" : "denied"}` }, r.allowed ? "allowed" : "denied")),
      h("td", { className: "num" }, r.line != null ? `${r.line}${r.column != null ? ":" + r.column : ""}` : "—"),
      h("td", { className: "mono" }, r.rule || "—"),
      h("td", {}, r.reason, r.expression ? h("div", { className: "mono muted" }, r.expression) : "",
        (r.debug || []).length ? h("details", {}, h("summary", {}, "debug"), h("pre", { className: "mono" }, r.debug.join("\n"))) : ""))))));
}
