// The page's script, part 5: an application's dependency graph and waves as
// inline SVG, from /api/v1/applications/{application}/graph — one picture per
// cluster in the order the loop takes them (canary clusters are wave 1),
// dependency levels left to right, each box coloured by its deploy state; a
// box opens that release. An application name in the table opens it alone.
export const GRAPH_JS = String.raw`
const NODE_W = 178;
const NODE_H = 36;
const GAP_X = 54;
const GAP_Y = 12;
const PAD = 14;
const TOP = 24;
let markerSeq = 0;
const clip = (s, n) => (s.length > n ? s.slice(0, n - 1) + "…" : s);

function showApplication(app) {
  selected = { application: app };
  openDrawer("Application " + app);
  byId("detail").append(section("graph", "Dependencies and waves", "click a release to open it"));
  markSelected();
  loadGraph(app);
}

function loadGraph(app) {
  if (!app || app === "-") {
    const body = sectionBody("graph");
    if (body) body.replaceChildren($("p", { class: "small" }, "not part of an application"));
    return;
  }
  return loadInto(detailGen, "graph", "api/v1/applications/" + enc(app) + "/graph", (body, g) => body.replaceChildren(drawGraph(g)));
}

function drawGraph(g) {
  const wrap = $("div", { class: "graph" });
  const waves = g.rollout ? g.rollout.waves : [];
  wrap.append($("p", { class: "small" }, waves.length
    ? "Waves in order: each starts when the one before is healthy (then its soak, then its approval). On each cluster a level waits for the levels before it."
    : g.canary.length
      ? "Wave 1 is the canary cluster" + (g.canary.length > 1 ? "s " : " ") + g.canary.join(", ") + "; the other clusters wait until the application is healthy there. On each cluster a level waits for the levels before it."
      : "Every cluster at once; on each cluster a level waits for the levels before it."));
  for (const w of waves) {
    const waits = w.state === "waiting" ? " — waits for " + (w.waitingFor === "previous-wave" ? "the wave before" : w.waitingFor) + (w.since ? " since " + w.since : "") + (w.until ? " until " + w.until : "") : "";
    wrap.append($("p", { class: "wave", "data-wave": String(w.index), "data-state": w.state }, "wave " + w.index + " · " + (w.clusters.join(", ") || "no cluster") + " · " + w.state + waits + (w.reason ? " (" + w.reason + ")" : "")));
  }
  for (const c of g.clusters) {
    wrap.append($("h4", {}, "wave " + c.wave + (g.canary.includes(c.cluster) ? " (canary)" : "") + " · " + c.cluster + (c.reachable ? "" : " · unreachable: " + (c.error || ""))));
    const here = selected && selected.release && selected.cluster === c.cluster ? selected.release : undefined;
    wrap.append(dagSvg(c, here));
  }
  return wrap;
}

function dagSvg(c, here) {
  const cols = [];
  for (const n of c.nodes) (cols[n.level] = cols[n.level] || []).push(n);
  const pos = new Map();
  cols.forEach((col, l) => (col || []).forEach((n, i) => pos.set(n.name, { x: PAD + l * (NODE_W + GAP_X), y: TOP + i * (NODE_H + GAP_Y) })));
  const tallest = Math.max(1, ...cols.map((col) => (col || []).length));
  const width = PAD * 2 + cols.length * NODE_W + Math.max(0, cols.length - 1) * GAP_X;
  const height = TOP + tallest * (NODE_H + GAP_Y) - GAP_Y + PAD;
  const marker = "berth-arrow-" + ++markerSeq;
  const svg = S("svg", { class: "dag", width, height, viewBox: "0 0 " + width + " " + height, role: "img", "aria-label": "dependency levels of " + c.cluster, "data-cluster": c.cluster });
  svg.append(S("defs", {}, S("marker", { id: marker, viewBox: "0 0 8 8", refX: 8, refY: 4, markerWidth: 7, markerHeight: 7, orient: "auto" }, S("path", { d: "M0,0 L8,4 L0,8 z" }))));
  cols.forEach((_, l) => svg.append(S("text", { class: "lvl", x: PAD + l * (NODE_W + GAP_X), y: 15 }, "level " + (l + 1))));
  for (const n of c.nodes) {
    for (const need of n.needs) {
      const a = pos.get(need);
      const b = pos.get(n.name);
      if (!a || !b) continue;
      const x1 = a.x + NODE_W;
      const y1 = a.y + NODE_H / 2;
      const x2 = b.x - 1;
      const y2 = b.y + NODE_H / 2;
      const mx = (x1 + x2) / 2;
      svg.append(S("path", { d: "M" + x1 + "," + y1 + " C" + mx + "," + y1 + " " + mx + "," + y2 + " " + x2 + "," + y2, "marker-end": "url(#" + marker + ")" }));
    }
  }
  for (const n of c.nodes) {
    const p = pos.get(n.name);
    const box = S("g", { class: "node" + (n.application ? " ext" : "") + (n.name === here ? " here" : ""), "data-node": n.name, transform: "translate(" + p.x + "," + p.y + ")" });
    const tip = n.name + ": " + (n.state ? n.state + (n.stateReason ? " (" + n.stateReason + ")" : "") : "not deployed") + (n.needs.length ? "\nneeds " + n.needs.join(", ") : "") + (n.blocked ? "\nblocked: " + n.blocked : "");
    box.append(S("title", {}, tip), S("rect", { width: NODE_W, height: NODE_H, rx: 6, class: "st-" + (n.state || "none") }), S("text", { x: 8, y: 15 }, clip(n.name, 25)), S("text", { x: 8, y: 29, class: "lvl" }, clip((n.state || "not deployed") + (n.application ? " · app " + n.application : "") + (n.blocked ? " · blocked" : ""), 30)));
    box.addEventListener("click", () => {
      const r = findRelease(c.cluster, n.name);
      if (r) showRelease({ cluster: c.cluster, release: r.name, namespace: r.namespace, application: r.application });
    });
    svg.append(box);
  }
  return svg;
}
`;
