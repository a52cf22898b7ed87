// The page's script, part 3: the release view (a drawer over the table) — its
// state and last error, objects, pods, events and history read from the
// per-release routes, and the actions the caller's role allows, each asked
// for once more before it is sent. The server decides every action anyway.
export const RELEASE_JS = String.raw`
let selected; // { cluster, release, namespace, application } or { application } alone
let detailGen = 0;

function closeDetail() {
  selected = undefined;
  detailGen++;
  stopFollow();
  byId("detail").hidden = true;
  markSelected();
}
document.addEventListener("keydown", (e) => {
  if (e.key === "Escape" && !byId("detail").hidden) closeDetail();
});

function markSelected() {
  for (const td of document.querySelectorAll("td.cell.sel")) td.classList.remove("sel");
  const c = selected && selected.release && cells.get(selected.cluster + "\u0000" + selected.release);
  if (c) c.td.classList.add("sel");
}

/** After each status event: the open view follows what changed. */
function afterStatus(full, changed) {
  markSelected();
  if (!selected) return;
  if (!selected.release) {
    if (full || changed.length) loadGraph(selected.application);
    return;
  }
  if (full || changed.includes(selected.cluster + "\u0000" + selected.release)) {
    updateSummary();
    reloadRelease();
  }
}

const releasePath = (what) => "api/v1/clusters/" + enc(selected.cluster) + "/releases/" + enc(selected.release) + "/" + what + "?namespace=" + enc(selected.namespace);
const sectionBody = (id) => byId("detail").querySelector('[data-testid="' + id + '"] .body');
function section(id, title, note) {
  return $("section", { "data-testid": id }, $("h3", {}, title, note ? $("span", { class: "small" }, " " + note) : ""), $("div", { class: "body" }, $("p", { class: "small" }, "loading…")));
}
const table = (heads, rows) => $("table", {}, $("thead", {}, $("tr", {}, ...heads.map((h) => $("th", {}, h)))), $("tbody", {}, ...rows));

function openDrawer(title, ...parts) {
  stopFollow();
  const gen = ++detailGen;
  const close = $("button", { type: "button", "data-testid": "close" }, "close ✕");
  close.addEventListener("click", closeDetail);
  const d = byId("detail");
  d.hidden = false;
  d.scrollTop = 0;
  d.replaceChildren($("div", { class: "titlebar" }, $("h2", {}, title), $("span", { id: "summary" }), $("span", { class: "spacer" }), ...parts, close));
  return gen;
}

function showRelease(sel) {
  selected = Object.assign({}, sel);
  const refresh = $("button", { type: "button" }, "refresh");
  refresh.addEventListener("click", () => reloadRelease());
  openDrawer(sel.release + " on " + sel.cluster, refresh);
  byId("detail").append(
    $("div", { class: "small", id: "summary2" }),
    $("div", { id: "lasterror" }),
    $("div", { class: "actions", "data-testid": "actions", id: "actions" }),
    $("div", { id: "action-result" }),
    $("div", { class: "cols" }, section("objects", "Objects"), section("pods", "Pods")),
    section("events", "Events", "newest first"),
    logSection(),
    section("history", "History", "newest first"),
    section("graph", "Dependencies and waves", "of application " + (sel.application || "-")),
  );
  markSelected();
  updateSummary();
  renderActions();
  reloadRelease();
  loadGraph(sel.application);
}

function updateSummary() {
  const r = findRelease(selected.cluster, selected.release);
  if (!r) return;
  byId("summary").replaceChildren(stateBadge(r.state), " ", $("span", {}, r.stateReason));
  byId("summary2").textContent = "namespace " + r.namespace + " · " + versionText(r) + (r.helmRevision ? " · helm revision " + r.helmRevision : "") + " · health " + r.health + (r.healthMessage ? ": " + r.healthMessage : "") + (r.suspended ? " · suspended" : "");
  byId("lasterror").replaceChildren(r.lastError ? $("div", { class: "banner", "data-testid": "last-error" }, "last error: " + r.lastError) : "");
  selected.suspended = r.suspended;
  selected.helmRevision = r.helmRevision;
}

async function loadInto(gen, id, path, render) {
  try {
    const data = await getJson(path);
    if (gen === detailGen) render(sectionBody(id), data);
  } catch (e) {
    if (!(e instanceof Unauthorized) && gen === detailGen) sectionBody(id).replaceChildren($("p", { class: "err" }, e.message));
  }
}

function reloadRelease() {
  const gen = detailGen;
  return Promise.all([
    loadInto(gen, "objects", releasePath("objects"), renderObjects),
    loadInto(gen, "pods", releasePath("pods"), renderPods),
    loadInto(gen, "events", releasePath("events"), renderEvents),
    loadInto(gen, "history", releasePath("history"), renderHistory),
  ]);
}

function renderObjects(body, a) {
  if (!a.objects.length) return body.replaceChildren($("p", { class: "small" }, "nothing deployed"));
  body.replaceChildren(table(["object", "state", ""], a.objects.map((o) =>
    $("tr", { "data-object": o.kind + "/" + o.name }, $("td", {}, o.kind + "/" + o.name), $("td", {}, $("span", { class: "badge ob-" + o.state }, o.state)), $("td", { class: "small" }, o.message || "")))));
}

function renderPods(body, a) {
  setLogPods(a.pods);
  if (!a.pods.length) return body.replaceChildren($("p", { class: "small" }, "no pods"));
  body.replaceChildren(table(["pod", "status", "ready", "restarts", "node", "age"], a.pods.map((p) => {
    const tr = $("tr", { class: "pod", "data-pod": p.name, title: "show its logs" }, $("td", { class: "ver" }, p.name), $("td", {}, p.status === p.phase ? p.phase : p.phase + " · " + p.status), $("td", {}, p.ready), $("td", {}, p.restarts), $("td", { class: "small" }, p.node || "-"), $("td", {}, age(p.createdAt)));
    tr.addEventListener("click", () => pickPod(p.name));
    return tr;
  })));
}

function renderEvents(body, a) {
  if (!a.events.length) return body.replaceChildren($("p", { class: "small" }, "no events"));
  body.replaceChildren(
    table(["last seen", "type", "reason", "object", "message"], a.events.map((e) =>
      $("tr", {}, $("td", { title: e.lastTime || "" }, age(e.lastTime) + (e.count > 1 ? " (×" + e.count + ")" : "")), $("td", { class: "ev-" + e.type }, e.type), $("td", {}, e.reason), $("td", { class: "small" }, e.object.kind + "/" + e.object.name), $("td", {}, e.message)))),
    a.truncated ? $("p", { class: "small" }, "more events than shown") : "");
}

function renderHistory(body, h) {
  selected.suspended = h.suspended;
  selected.revisions = [...new Set(h.records.map((r) => r.helmRevision).filter((x) => typeof x === "number"))].sort((x, y) => y - x);
  renderActions();
  if (!h.records.length) return body.replaceChildren($("p", {}, "no recorded actions"));
  const rows = [];
  for (const r of [...h.records].reverse()) {
    rows.push($("tr", {}, $("td", { title: r.at }, age(r.at) + " ago"), $("td", { class: "ver" }, r.commit.slice(0, 12)), $("td", {}, r.action), $("td", { class: "ver" }, (r.fromVersion || "-") + " → " + (r.toVersion || "-")),
      $("td", { class: r.result === "failed" ? "err" : "" }, r.result), $("td", {}, r.helmRevision === undefined ? "-" : r.helmRevision), $("td", {}, r.actor ? r.actor.name + " (" + r.actor.role + ")" : "berth"), $("td", {}, r.durationMs + " ms")));
    for (const st of r.steps) rows.push($("tr", {}, $("td", {}), $("td", { colspan: 7, class: "small" }, "step " + st.kind + " " + st.to + ": " + (st.succeeded ? "ok" : "failed") + " (job " + st.job + ")")));
    if (r.restarted && r.restarted.length) rows.push($("tr", {}, $("td", {}), $("td", { colspan: 7, class: "small" }, "restarted " + r.restarted.join(", "))));
    if (r.error) rows.push($("tr", {}, $("td", {}), $("td", { colspan: 7 }, $("pre", {}, r.error))));
  }
  body.replaceChildren(table(["when", "commit", "action", "versions", "result", "helm rev", "by", "took"], rows));
}

// Actions: only those the caller's role allows on this application are offered.
function renderActions() {
  const box = byId("actions");
  if (!box) return;
  if (!mayAct(selected.application)) {
    const why = me.role === "anonymous" ? "berth serve runs without --auth-file: nobody acts through it" : me.role === "viewer" ? me.name + " is a viewer" : me.name + " acts on " + ((me.applications || []).join(", ") || "no application") + ", not on " + (selected.application || "this release");
    return box.replaceChildren($("span", { class: "note", "data-testid": "read-only" }, "read only: " + why));
  }
  const button = (kind, label, cls, body, ask) => {
    const b = $("button", { type: "button", class: cls || "", "data-action": kind }, label);
    b.addEventListener("click", () => confirmAction(kind, typeof body === "function" ? body() : body, ask));
    return b;
  };
  const where = selected.release + " on " + selected.cluster;
  const revisions = (selected.revisions || []).filter((r) => r !== selected.helmRevision);
  const pick = $("select", { "data-testid": "rollback-to", disabled: revisions.length ? undefined : true }, ...(revisions.length ? revisions.map((r) => $("option", { value: r }, "revision " + r)) : [$("option", {}, "no earlier revision")]));
  const rollback = button("rollback", "roll back", "", () => ({ toRevision: Number(pick.value) }), "Roll " + where + " back to the chosen revision (berth then leaves it as it is until git changes it or resume)");
  rollback.disabled = !revisions.length;
  box.replaceChildren(
    button("restart", "restart", "primary", {}, "Restart the workloads of " + where + " (a rollout restart)"),
    button("sync", "sync now", "", {}, "Reconcile " + where + " now"),
    rollback, pick,
    selected.suspended ? button("resume", "resume", "", {}, "Resume " + where + " (berth reconciles it again)") : "",
  );
}

function confirmAction(kind, body, ask) {
  const yes = $("button", { type: "button", class: "danger", "data-testid": "confirm-" + kind }, "yes, " + kind);
  const no = $("button", { type: "button" }, "cancel");
  const out = byId("action-result");
  no.addEventListener("click", () => out.replaceChildren());
  yes.addEventListener("click", () => doAction(kind, body));
  out.replaceChildren($("div", { class: "confirm", "data-testid": "confirm" }, ask + "?", yes, no));
}

async function doAction(kind, body) {
  const gen = detailGen;
  const out = byId("action-result");
  out.replaceChildren($("div", { class: "result" }, kind + "…"));
  let ok = false;
  let text;
  try {
    const res = await api(releasePath(kind), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const a = await res.json().catch(() => ({}));
    ok = res.ok;
    text = res.ok ? a.message || kind + " done" : kind + " refused (" + res.status + "): " + (a.error || res.statusText);
  } catch (e) {
    if (e instanceof Unauthorized) return;
    text = kind + " failed: " + e.message;
  }
  if (gen !== detailGen) return;
  out.replaceChildren($("div", { class: "result " + (ok ? "ok" : "bad"), "data-testid": "action-result" }, text));
  reloadRelease();
}
`;
