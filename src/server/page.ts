// GET /: one self-contained page (inline CSS and JS, no framework). It reads
// /api/v1/status every few seconds and draws releases x clusters; a click on
// a cell loads that release's history. Data is only ever set as textContent.
import { createHash } from "node:crypto";
import { defineRoute, type Route } from "./router.ts";

const CSS = `
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{padding:12px 20px;background:#1d2330;color:#fff;display:flex;gap:20px;align-items:baseline;flex-wrap:wrap}
header h1{font-size:18px;margin:0}
header .meta{opacity:.8;font-family:ui-monospace,monospace;font-size:12px}
main{padding:16px 20px;display:grid;grid-template-columns:minmax(0,1fr);gap:16px}
.banner{padding:8px 12px;border-radius:6px;background:#fde2e1;color:#7a1c17}
table{border-collapse:collapse;background:#fff;width:100%}
th,td{border:1px solid #e1e4ea;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#eef0f4;font-weight:600}
td.cell{cursor:pointer}
td.cell:hover{background:#eef4ff}
td.app{font-weight:600;background:#fafbfc}
.badge{display:inline-block;padding:0 6px;border-radius:9px;font-size:12px}
.healthy{background:#d8f3dc;color:#1b5e20}.unhealthy{background:#fde2e1;color:#7a1c17}
.absent,.unknown{background:#eceff1;color:#455a64}
.ver{font-family:ui-monospace,monospace}
.small{font-size:12px;color:#5b6475}
.unreach{color:#7a1c17}
#detail{background:#fff;border:1px solid #e1e4ea;border-radius:6px;padding:12px}
#detail[hidden]{display:none}
pre{white-space:pre-wrap;margin:4px 0;background:#f6f7f9;padding:6px}
`;

const JS = `
const $ = (tag, attrs = {}, ...kids) => {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) el.setAttribute(k, v);
  for (const k of kids) el.append(k instanceof Node ? k : document.createTextNode(String(k)));
  return el;
};
let selected;
async function load() {
  const res = await fetch("api/v1/status", { cache: "no-store" });
  const root = document.getElementById("grid");
  if (!res.ok) { root.replaceChildren($("p", {}, (await res.json()).error)); return; }
  const s = await res.json();
  document.getElementById("source").textContent = s.source;
  document.getElementById("revision").textContent = "revision " + (s.revision || "-").slice(0, 12) + " · applied " + (s.lastAppliedRevision || "-").slice(0, 12) + (s.leader ? " · leader" : " · follower");
  const banners = document.getElementById("banners");
  banners.replaceChildren();
  if (s.sourceStale) banners.append($("div", { class: "banner" }, "source is stale since " + s.sourceStale.since + ": " + s.sourceStale.error));
  if (s.invalidRevision) banners.append($("div", { class: "banner" }, "revision " + s.invalidRevision.sha.slice(0, 12) + " is invalid and was not applied: " + s.invalidRevision.errors.join("; ")));
  const head = $("tr", {}, $("th", {}, "application / release"));
  for (const c of s.clusters) {
    head.append($("th", { "data-cluster": c.name }, c.name, c.paused ? " (paused)" : "", c.reachable ? "" : $("div", { class: "small unreach" }, "unreachable: " + (c.error || ""))));
  }
  const rows = new Map();
  for (const c of s.clusters) for (const r of c.releases) {
    const key = (r.application || "-") + "\\u0000" + r.name;
    if (!rows.has(key)) rows.set(key, { app: r.application || "-", name: r.name, cells: {} });
    rows.get(key).cells[c.name] = r;
  }
  const body = $("tbody");
  let lastApp;
  for (const row of [...rows.values()].sort((a, b) => (a.app + a.name).localeCompare(b.app + b.name))) {
    if (row.app !== lastApp) { body.append($("tr", {}, $("td", { class: "app", colspan: String(s.clusters.length + 1) }, row.app))); lastApp = row.app; }
    const tr = $("tr", {}, $("td", {}, row.name));
    for (const c of s.clusters) {
      const r = row.cells[c.name];
      if (!r) { tr.append($("td", { class: "small" }, "–")); continue; }
      const blocked = s.blocked[c.name + "/" + r.name];
      const version = r.deployedVersion && r.desiredVersion && r.deployedVersion !== r.desiredVersion ? r.deployedVersion + " → " + r.desiredVersion : (r.deployedVersion || r.desiredVersion || "-");
      const td = $("td", { class: "cell", "data-release": r.name, "data-cluster": c.name },
        $("span", { class: "ver" }, version), " ",
        $("span", { class: "badge " + r.health }, r.health + (r.suspended ? " (suspended)" : "")),
        $("div", { class: "small" }, r.lastAction ? r.lastAction.action + " " + r.lastAction.result + " · " + r.lastAction.at : "no action yet"),
        blocked ? $("div", { class: "small unreach" }, "blocked: " + blocked) : "",
        r.lastError ? $("div", { class: "small unreach" }, "last error") : "");
      td.addEventListener("click", () => { selected = { cluster: c.name, release: r.name, namespace: r.namespace, lastError: r.lastError }; showHistory(); });
      tr.append(td);
    }
    body.append(tr);
  }
  root.replaceChildren($("table", {}, $("thead", {}, head), body));
}
async function showHistory() {
  const d = document.getElementById("detail");
  const { cluster, release, namespace, lastError } = selected;
  d.hidden = false;
  d.replaceChildren($("h2", {}, release + " on " + cluster), $("p", { class: "small" }, "loading…"));
  const res = await fetch("api/v1/clusters/" + encodeURIComponent(cluster) + "/releases/" + encodeURIComponent(release) + "/history?namespace=" + encodeURIComponent(namespace), { cache: "no-store" });
  const h = await res.json();
  const parts = [$("h2", {}, release + " on " + cluster + (h.suspended ? " (suspended)" : ""))];
  if (lastError) parts.push($("div", { class: "banner", "data-testid": "last-error" }, "last error: " + lastError));
  if (!res.ok) { parts.push($("p", {}, h.error)); d.replaceChildren(...parts); return; }
  const t = $("table", { "data-testid": "history" }, $("tr", {}, ...["time", "commit", "action", "versions", "result", "helm rev", "duration"].map((x) => $("th", {}, x))));
  for (const r of [...h.records].reverse()) {
    t.append($("tr", {}, $("td", {}, r.at), $("td", { class: "ver" }, r.commit.slice(0, 12)), $("td", {}, r.action),
      $("td", { class: "ver" }, (r.fromVersion || "-") + " → " + (r.toVersion || "-")), $("td", {}, r.result), $("td", {}, r.helmRevision ?? "-"), $("td", {}, r.durationMs + " ms")));
    for (const st of r.steps) t.append($("tr", {}, $("td", {}, ""), $("td", { colspan: "6", class: "small" }, "step " + st.kind + " " + st.to + ": " + (st.succeeded ? "ok" : "failed") + " (job " + st.job + ")")));
    if (r.error) t.append($("tr", {}, $("td", {}, ""), $("td", { colspan: "6" }, $("pre", {}, r.error))));
  }
  if (h.records.length === 0) parts.push($("p", {}, "no recorded actions"));
  d.replaceChildren(...parts, t);
}
load().catch((e) => console.error(e));
setInterval(() => load().catch((e) => console.error(e)), 5000);
`;

export const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>berth</title>
<link rel="icon" href="data:,">
<style>${CSS}</style>
</head>
<body>
<header><h1>berth</h1><span class="meta" id="source"></span><span class="meta" id="revision"></span></header>
<main>
<div id="banners"></div>
<div id="grid"><p>loading…</p></div>
<section id="detail" hidden></section>
</main>
<script>${JS}</script>
</body>
</html>
`;

const hash = (s: string) => `'sha256-${createHash("sha256").update(s).digest("base64")}'`;

/** Only this page's own inline style and script run; data comes from this origin only. */
export const CSP = `default-src 'none'; connect-src 'self'; img-src 'self' data:; style-src ${hash(CSS)}; script-src ${hash(JS)}; base-uri 'none'; frame-ancestors 'none'; form-action 'none'`;

export function pageRoute(): Route {
  return defineRoute({
    method: "GET",
    path: "/",
    summary: "Status page (HTML)",
    access: "read",
    responses: { 200: { description: "OK", contentType: "text/html" } },
    handle: ({ res }) => {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", "content-security-policy": CSP });
      res.end(PAGE);
    },
  });
}
