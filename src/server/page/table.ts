// The page's script, part 2: the clusters x releases table. A status event
// redraws only the cells whose release changed; the whole table only when
// clusters or releases come or go. One click listener for every cell, so
// 1,000 releases stay cheap.
export const TABLE_JS = String.raw`
let status;
let layout = "";
const cells = new Map(); // "cluster\u0000release" -> { td, sig }
const rowsByKey = new Map(); // "app\u0000release" -> tr

function versionText(r) {
  if (r.deployedVersion && r.desiredVersion && r.deployedVersion !== r.desiredVersion) return r.deployedVersion + " → " + r.desiredVersion;
  return r.deployedVersion || r.desiredVersion || "-";
}
const stateBadge = (state, reason) => $("span", { class: "badge st-" + (state || "none"), title: reason || "" }, state || "-");

function cellContent(td, c, r) {
  const s = status;
  const blocked = s.blocked[c + "/" + r.name];
  const drift = s.drift && s.drift[c + "/" + r.name];
  td.dataset.state = r.state;
  td.title = r.stateReason || "";
  td.replaceChildren(
    stateBadge(r.state, r.stateReason), " ", $("span", { class: "ver" }, versionText(r)),
    $("div", { class: "small" }, r.health + (r.healthMessage ? ": " + r.healthMessage : "") + (r.suspended ? " · suspended" : "")),
    $("div", { class: "small" }, r.lastAction ? r.lastAction.action + " " + r.lastAction.result + " · " + age(r.lastAction.at) + " ago" : "no action yet"),
    blocked ? $("div", { class: "small err" }, "blocked: " + blocked) : "",
    drift ? $("div", { class: "small err" }, "drift: " + drift.length + " field" + (drift.length === 1 ? "" : "s")) : "",
    r.lastError ? $("div", { class: "small err" }, "last error") : "",
  );
}

function renderStatus(s) {
  const t0 = performance.now();
  status = s;
  byId("source").textContent = s.source;
  byId("revision").textContent = "revision " + (s.revision || "-").slice(0, 12) + " · applied " + (s.lastAppliedRevision || "-").slice(0, 12) + (s.leader ? " · leader" : " · follower");
  byId("observed").textContent = "observed " + s.observedAt.slice(11, 19);
  const banners = [];
  if (s.sourceStale) banners.push($("div", { class: "banner" }, "source is stale since " + s.sourceStale.since + ": " + s.sourceStale.error));
  if (s.invalidRevision) banners.push($("div", { class: "banner" }, "revision " + s.invalidRevision.sha.slice(0, 12) + " is invalid and was not applied: " + s.invalidRevision.errors.join("; ")));
  for (const c of s.clusters) if (!c.reachable) banners.push($("div", { class: "banner" }, "cluster " + c.name + " is unreachable: " + (c.error || "")));
  byId("banners").replaceChildren(...banners);

  const rows = new Map();
  const counts = {};
  for (const c of s.clusters) for (const r of c.releases) {
    const key = (r.application || "-") + "\u0000" + r.name;
    if (!rows.has(key)) rows.set(key, { app: r.application || "-", name: r.name, cells: {} });
    rows.get(key).cells[c.name] = r;
    counts[r.state] = (counts[r.state] || 0) + 1;
  }
  const keys = [...rows.keys()].sort();
  const shape = s.clusters.map((c) => c.name + (c.paused ? "!" : "") + (c.reachable ? "" : "?")).join("\u0001") + "\u0002" + keys.join("\u0001");
  const changed = [];
  const full = shape !== layout;
  if (full) {
    buildTable(s, rows, keys);
    layout = shape;
  } else {
    for (const key of keys) {
      const row = rows.get(key);
      for (const c of s.clusters) {
        const r = row.cells[c.name];
        if (!r) continue;
        const id = c.name + "\u0000" + r.name;
        const cell = cells.get(id);
        const sig = JSON.stringify([r, s.blocked[c.name + "/" + r.name], s.drift && s.drift[c.name + "/" + r.name]]);
        if (cell.sig === sig) continue;
        cell.sig = sig;
        cellContent(cell.td, c.name, r);
        changed.push(id);
      }
    }
  }
  byId("counts").textContent = Object.keys(counts).sort().map((k) => counts[k] + " " + k).join(" · ");
  applyFilter();
  timings.renders.push({ ms: performance.now() - t0, cells: cells.size, changed: full ? cells.size : changed.length, full });
  afterStatus(full, changed);
}

function buildTable(s, rows, keys) {
  cells.clear();
  rowsByKey.clear();
  const head = $("tr", {}, $("th", {}, "application / release"));
  for (const c of s.clusters) head.append($("th", { "data-cluster": c.name }, c.name, c.paused ? " (paused)" : "", c.reachable ? "" : $("div", { class: "small err" }, "unreachable")));
  const body = $("tbody");
  let lastApp;
  for (const key of keys) {
    const row = rows.get(key);
    if (row.app !== lastApp) {
      body.append($("tr", { class: "app", "data-app": row.app }, $("td", { colspan: s.clusters.length + 1 }, $("button", { class: "applink", type: "button", "data-graph": row.app, title: "dependency graph and waves" }, row.app))));
      lastApp = row.app;
    }
    const tr = $("tr", { "data-app": row.app, "data-name": row.name }, $("td", {}, row.name));
    for (const c of s.clusters) {
      const r = row.cells[c.name];
      if (!r) {
        tr.append($("td", { class: "small" }, "–"));
        continue;
      }
      const td = $("td", { class: "cell", "data-release": r.name, "data-cluster": c.name });
      cellContent(td, c.name, r);
      cells.set(c.name + "\u0000" + r.name, { td, sig: JSON.stringify([r, s.blocked[c.name + "/" + r.name], s.drift && s.drift[c.name + "/" + r.name]]) });
      tr.append(td);
    }
    rowsByKey.set(key, tr);
    body.append(tr);
  }
  const table = $("table", {}, $("thead", {}, head), body);
  table.addEventListener("click", (e) => {
    const g = e.target.closest("[data-graph]");
    if (g) return showApplication(g.dataset.graph);
    const td = e.target.closest("td.cell");
    if (!td) return;
    const r = findRelease(td.dataset.cluster, td.dataset.release);
    if (r) showRelease({ cluster: td.dataset.cluster, release: r.name, namespace: r.namespace, application: r.application });
  });
  byId("grid").replaceChildren(table);
}

const findRelease = (cluster, name) => {
  const c = status && status.clusters.find((x) => x.name === cluster);
  return c && c.releases.find((r) => r.name === name);
};

// Filter: a text in the application or release name, and/or only what is not succeeded.
function applyFilter() {
  const text = byId("filter").value.trim().toLowerCase();
  const problems = byId("problems").checked;
  if (!text && !problems && !byId("grid").dataset.filtered) return;
  byId("grid").dataset.filtered = text || problems ? "1" : "";
  const shownApps = new Set();
  for (const tr of rowsByKey.values()) {
    const matches = !text || tr.dataset.app.toLowerCase().includes(text) || tr.dataset.name.toLowerCase().includes(text);
    const bad = !problems || [...tr.querySelectorAll("td.cell")].some((td) => td.dataset.state !== "succeeded");
    tr.hidden = !(matches && bad);
    if (!tr.hidden) shownApps.add(tr.dataset.app);
  }
  for (const tr of byId("grid").querySelectorAll("tr.app")) tr.hidden = !shownApps.has(tr.dataset.app);
}
byId("filter").addEventListener("input", applyFilter);
byId("problems").addEventListener("change", applyFilter);
`;
