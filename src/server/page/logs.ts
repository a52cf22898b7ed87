// The page's script, part 4: the log viewer of the release view — pick a pod
// and container, read its tail, or follow it: the logs route with follow=true
// read as server-sent events through fetch (the Bearer header goes with it),
// appended as it comes, bounded so a chatty pod cannot swamp the page.
export const LOGS_JS = String.raw`
let follow; // the AbortController of the running follow
let logPods = [];
const MAX_LOG_NODES = 4000;

function stopFollow() {
  if (follow) {
    follow.abort();
    const status = byId("log-status");
    if (status) status.textContent = "stopped following";
  }
  follow = undefined;
  const b = byId("follow");
  if (b) b.setAttribute("aria-pressed", "false");
}

function logSection() {
  const pod = $("select", { id: "log-pod", "data-testid": "log-pod" });
  const container = $("select", { id: "log-container", "data-testid": "log-container" });
  const tail = $("input", { id: "log-tail", type: "number", min: 1, max: 10000, value: 200, title: "lines from the end" });
  const previous = $("input", { id: "log-previous", type: "checkbox" });
  const load = $("button", { type: "button", "data-testid": "log-load" }, "show tail");
  const toggle = $("button", { type: "button", id: "follow", "data-testid": "follow", "aria-pressed": "false", title: "stream new lines as the container writes them" }, "follow");
  pod.addEventListener("change", () => {
    stopFollow();
    fillContainers();
  });
  container.addEventListener("change", stopFollow);
  load.addEventListener("click", loadLog);
  toggle.addEventListener("click", () => (follow ? stopFollow() : startFollow()));
  return $("section", { "data-testid": "logs" }, $("h3", {}, "Logs"),
    $("div", { class: "logbar" }, $("label", {}, "pod ", pod), $("label", {}, "container ", container), $("label", {}, "tail ", tail), $("label", {}, previous, " previous run"), load, toggle, $("span", { class: "small", id: "log-status", "data-testid": "log-status" })),
    $("pre", { class: "log", id: "log", "data-testid": "log" }));
}

function setLogPods(pods) {
  const sel = byId("log-pod");
  if (!sel) return;
  logPods = pods;
  const keep = sel.value;
  sel.replaceChildren(...pods.map((p) => $("option", { value: p.name }, p.name)));
  if (pods.some((p) => p.name === keep)) sel.value = keep;
  else if (keep) {
    stopFollow();
    byId("log-status").textContent = "pod " + keep + " is gone; the log above is its last";
  }
  fillContainers();
  if (!pods.length) byId("log-status").textContent = "no pods to read";
}

function fillContainers() {
  const p = logPods.find((x) => x.name === byId("log-pod").value);
  const sel = byId("log-container");
  const keep = sel.value;
  const names = p ? p.containers.map((c) => c.name + (c.init ? " (init)" : "")) : [];
  sel.replaceChildren(...(p ? p.containers.map((c, i) => $("option", { value: c.name }, names[i])) : []));
  if (p) sel.value = p.containers.some((c) => c.name === keep) ? keep : p.defaultContainer;
}

function pickPod(name) {
  byId("log-pod").value = name;
  stopFollow();
  fillContainers();
  byId("log").scrollIntoView({ block: "nearest" });
  loadLog();
}

function logQuery() {
  const pod = byId("log-pod").value;
  if (!pod) return undefined;
  const tail = Math.max(1, Math.min(10000, Number(byId("log-tail").value) || 200));
  return releasePath("logs") + "&pod=" + enc(pod) + "&container=" + enc(byId("log-container").value) + "&tail=" + tail + (byId("log-previous").checked ? "&previous=true" : "");
}

async function loadLog() {
  stopFollow();
  const q = logQuery();
  if (!q) return;
  const gen = detailGen;
  const status = byId("log-status");
  status.textContent = "reading…";
  try {
    const a = await getJson(q);
    if (gen !== detailGen) return;
    const pre = byId("log");
    pre.textContent = a.text;
    pre.scrollTop = pre.scrollHeight;
    status.textContent = a.pod + "/" + a.container + (a.previous ? " (previous run)" : "") + (a.truncated ? " · cut to the newest bytes" : "");
    status.className = "small";
  } catch (e) {
    if (e instanceof Unauthorized || gen !== detailGen) return;
    status.textContent = e.message;
    status.className = "small err";
  }
}

function appendLog(text) {
  const pre = byId("log");
  if (!pre) return;
  const atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 8;
  pre.append(text);
  while (pre.childNodes.length > MAX_LOG_NODES) pre.firstChild.remove();
  if (atEnd) pre.scrollTop = pre.scrollHeight;
}

async function startFollow() {
  const q = logQuery();
  if (!q) return;
  stopFollow();
  const ctl = new AbortController();
  follow = ctl;
  const status = byId("log-status");
  const what = byId("log-pod").value + "/" + byId("log-container").value;
  byId("follow").setAttribute("aria-pressed", "true");
  byId("log").textContent = "";
  status.className = "small";
  status.textContent = "following " + what + "…";
  let failed;
  try {
    const res = await api(q + "&follow=true", { signal: ctl.signal, headers: { accept: "text/event-stream" } });
    if (!res.ok) throw new Error((await res.json().catch(() => ({}))).error || "HTTP " + res.status);
    // open (which pod and container), then one message per line (without its line break), then end or error
    await readEvents(res, (name, data) => {
      if (name === "message") appendLog(data + "\n");
      else if (name === "error") failed = data;
    });
  } catch (e) {
    if (ctl.signal.aborted || e instanceof Unauthorized) return;
    failed = e.message;
  }
  if (follow !== ctl) return;
  follow = undefined;
  byId("follow").setAttribute("aria-pressed", "false");
  status.textContent = failed ? "follow of " + what + " failed: " + failed : "the log of " + what + " ended";
  status.className = failed ? "small err" : "small";
}
`;
