// The Triggers view: registered triggers, delivery (pause/resume), the run log live, one run's
// event as a field diff, and replaying a run's event.
import { api, every, fmt, h, link, toast } from "/ui/app.js";
import { brief } from "/ui/values.js";

let openRun = null;

export async function triggersView(main, params) {
  openRun = params.get("run") ? Number(params.get("run")) : openRun;
  const registered = h("div", { className: "panel" });
  const runs = h("div", {});
  const detail = h("div", { className: "panel", id: "run-detail" });
  main.append(h("h2", {}, "Triggers"), registered, h("div", { className: "split" }, h("div", { className: "panel scroll" }, runs), detail));
  if (openRun) await showRun(detail, openRun);
  else detail.append(h("p", { className: "muted" }, "Choose a run to see its event."));
  every(1500, async () => {
    await renderTriggers(registered);
    await renderRuns(runs, detail);
  });
}

async function renderTriggers(panel) {
  const { triggers, activity } = await api("/emulator/v1/triggers");
  const signature = JSON.stringify([triggers, activity]);
  if (panel.dataset.signature === signature) return;
  panel.dataset.signature = signature;
  const toggle = h("button", { type: "button", id: "pause-toggle", className: activity.paused ? "primary" : "",
    onclick: async () => {
      await api(`/emulator/v1/triggers:${activity.paused ? "resume" : "pause"}`, { method: "POST" });
      toast(activity.paused ? "Delivery resumed" : "Delivery paused");
      panel.dataset.signature = "";
      await renderTriggers(panel);
    } }, activity.paused ? "Resume delivery" : "Pause delivery");
  panel.replaceChildren(
    h("div", { className: "toolbar" }, toggle,
      h("span", { id: "activity", "aria-live": "polite" }, `${activity.paused ? "paused · " : ""}${activity.pending} pending · ${activity.running} running${activity.waitingForTrigger ? ` · ${activity.waitingForTrigger} waiting for their trigger` : ""}`)),
    h("table", {}, h("caption", {}, `${triggers.length} registered trigger${triggers.length === 1 ? "" : "s"}`),
      h("thead", {}, h("tr", {}, ["name", "event type", "document", "database", "project", "target", "retry"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, triggers.map((t) => h("tr", {},
        h("td", { className: "mono" }, t.name), h("td", { className: "mono" }, t.eventType.replace(/^google\.cloud\.firestore\.document\.v1\.|^providers\/cloud\.firestore\/eventTypes\//, "")),
        h("td", { className: "mono" }, t.document), h("td", {}, t.database), h("td", {}, t.project || "any"),
        h("td", { className: "mono" }, t.target), h("td", {}, t.retry ? "yes" : "no"))))));
}

async function renderRuns(panel, detail) {
  const { runs } = await api("/emulator/v1/triggers/runs?limit=100");
  const signature = JSON.stringify(runs.map((r) => [r.id, r.status]));
  if (panel.dataset.signature === signature) return;
  panel.dataset.signature = signature;
  panel.replaceChildren(h("table", { id: "runs" }, h("caption", {}, "Run log (newest first)"),
    h("thead", {}, h("tr", {}, ["#", "time", "trigger", "event", "document", "status", "attempts", "ms", "writes"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, runs.map((r) => h("tr", { "data-run": r.id, "data-status": r.status },
      h("td", {}, h("a", { href: link("triggers", { run: r.id }), onclick: (e) => { e.preventDefault(); openRun = r.id; showRun(detail, r.id); }, "aria-label": `run ${r.id}` }, r.id)),
      h("td", { className: "mono" }, r.startTime.slice(11, 23)), h("td", { className: "mono" }, r.trigger), h("td", {}, r.eventType),
      h("td", { className: "mono" }, r.document.split("/documents/")[1] || r.document),
      h("td", {}, h("span", { className: `badge ${r.status}` }, r.status), r.replayOf ? h("span", { className: "muted" }, ` replay of #${r.replayOf}`) : "",
        r.error ? h("div", { className: "error mono clip", title: r.error }, r.error) : ""),
      h("td", { className: "num" }, r.attempts), h("td", { className: "num" }, fmt(r.durationMs)), h("td", { className: "num" }, r.writes.length))))));
}

/** One run: its event as a field diff, the documents its handler wrote, and Replay. */
async function showRun(panel, id) {
  let run;
  try { run = await api(`/emulator/v1/triggers/runs/${id}`); } catch (e) {
    panel.replaceChildren(h("p", { className: "error" }, e.message));
    return;
  }
  const before = run.before?.fields || {};
  const after = run.after?.fields || {};
  const changed = new Set(run.changedFields.map((f) => f.split(".")[0]));
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort((a, b) => (changed.has(b) - changed.has(a)) || a.localeCompare(b));
  const docPath = run.document.split("/documents/")[1] || "";
  const [, project, database] = run.document.match(/^projects\/([^/]+)\/databases\/([^/]+)/) || [];
  const docLink = (path) => link("data", { p: project, d: database, c: path.split("/").slice(0, -1).join("/"), doc: path });
  const replay = h("button", { type: "button", className: "primary", id: "replay", disabled: run.status === "stopped", onclick: async () => {
    replay.disabled = true;
    try {
      const again = await api(`/emulator/v1/triggers/runs/${id}:replay`, { method: "POST" });
      toast(`Replay of #${id}: run #${again.id} ${again.status}${again.error ? " — " + again.error : ""}`, again.status !== "succeeded");
      openRun = again.id;
      await showRun(panel, again.id);
    } catch (e) { toast(e.message, true); replay.disabled = false; }
  } }, "Replay event");
  panel.replaceChildren(
    h("h2", {}, `Run #${run.id} `, h("span", { className: `badge ${run.status}` }, run.status)),
    h("div", { className: "toolbar" }, replay, h("span", { className: "muted" }, "delivers this event to the trigger again, as it is registered now")),
    h("table", {}, h("tbody", {},
      [["trigger", run.trigger], ["event", `${run.eventType} · ${run.eventId}`], ["document", h("a", { className: "mono", href: docLink(docPath) }, docPath)],
       ["commit time", run.commitTime || "—"], ["started", run.startTime], ["duration", `${fmt(run.durationMs)} ms`], ["attempts", run.attempts], ["cascade depth", run.depth],
       ["replay of", run.replayOf ? `#${run.replayOf}` : "—"], ["error", run.error ? h("span", { className: "error mono" }, run.error) : "—"]]
        .map(([k, v]) => h("tr", {}, h("th", { scope: "row" }, k), h("td", {}, v))))),
    h("h3", {}, "Before → after"),
    names.length ? h("table", { className: "diff" }, h("thead", {}, h("tr", {}, ["field", "before", "after"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, names.map((n) => h("tr", { className: changed.has(n) ? "changed" : "" }, h("th", { scope: "row", className: "mono" }, n),
        h("td", { className: `val ${n in after ? "" : "removed"}` }, n in before ? brief(before[n]) : "—"), h("td", { className: "val" }, n in after ? brief(after[n]) : "—")))))
      : h("p", { className: "muted" }, "No fields."),
    h("h3", {}, `Documents the handler wrote (${run.writes.length})`),
    run.writes.length ? h("ul", {}, run.writes.map((w) => { const p = w.split("/documents/")[1] || w; return h("li", {}, h("a", { className: "mono", href: docLink(p) }, p)); }))
      : h("p", { className: "muted" }, "None recorded (external functions write over the wire)."));
}
