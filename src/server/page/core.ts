// The page's script, part 1: elements, the token, the API, server-sent events
// read from a fetch body (EventSource cannot send a Bearer header), and the
// live status stream. Browser JavaScript kept as text (so no template literals
// inside it); data is only ever set as textContent or an attribute.
export const CORE_JS = String.raw`
const $ = (tag, attrs, ...kids) => {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== false && v !== null) el.setAttribute(k, v === true ? "" : String(v));
  for (const k of kids) if (k !== undefined && k !== null && k !== "") el.append(k instanceof Node ? k : document.createTextNode(String(k)));
  return el;
};
const SVG_NS = "http://www.w3.org/2000/svg";
const S = (tag, attrs, ...kids) => {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined) el.setAttribute(k, String(v));
  for (const k of kids) el.append(k instanceof Node ? k : document.createTextNode(String(k)));
  return el;
};
const byId = (id) => document.getElementById(id);
const enc = encodeURIComponent;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const timings = (window.berth = { renders: [] });

function age(iso) {
  if (!iso) return "-";
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (s < 120) return s + "s";
  if (s < 7200) return Math.round(s / 60) + "m";
  if (s < 172800) return Math.round(s / 3600) + "h";
  return Math.round(s / 86400) + "d";
}

// The token: typed once per tab, kept in sessionStorage, sent as Bearer.
const TOKEN_KEY = "berth.token";
const token = () => sessionStorage.getItem(TOKEN_KEY) || "";
class Unauthorized extends Error {}
let me = { role: "anonymous" };

function authHeaders(extra) {
  const h = Object.assign({}, extra || {});
  const t = token();
  if (t) h.authorization = "Bearer " + t;
  return h;
}

/** fetch with the token; a 401 asks for a token again and throws Unauthorized. */
async function api(path, opts) {
  const o = opts || {};
  const res = await fetch(path, Object.assign({ cache: "no-store" }, o, { headers: authHeaders(o.headers) }));
  if (res.status === 401) {
    const body = await res.json().catch(() => ({}));
    askToken(token() ? "That token is not known here (" + (body.error || "401") + "). Give another." : "This berth needs a token.");
    throw new Unauthorized(body.error || "unauthorized");
  }
  return res;
}

/** The JSON answer, or an Error with the API's own message. */
async function getJson(path, opts) {
  const res = await api(path, opts);
  const body = await res.json().catch(() => ({ error: res.status + " " + res.statusText }));
  if (!res.ok) throw Object.assign(new Error(body.error || res.status + " " + res.statusText), { status: res.status });
  return body;
}

/** Reads text/event-stream from a fetch answer until it ends: onEvent(name, data) per event. */
async function readEvents(res, onEvent) {
  const reader = res.body.getReader();
  const dec = new TextDecoder();
  let buf = "";
  let name = "message";
  let data = [];
  for (;;) {
    const chunk = await reader.read();
    if (chunk.done) return;
    buf += dec.decode(chunk.value, { stream: true });
    let nl;
    while ((nl = buf.indexOf("\n")) >= 0) {
      let line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.endsWith("\r")) line = line.slice(0, -1);
      if (line === "") {
        if (data.length) onEvent(name, data.join("\n"));
        name = "message";
        data = [];
        continue;
      }
      if (line[0] === ":") continue;
      const c = line.indexOf(":");
      const field = c < 0 ? line : line.slice(0, c);
      let v = c < 0 ? "" : line.slice(c + 1);
      if (v[0] === " ") v = v.slice(1);
      if (field === "event") name = v;
      else if (field === "data") data.push(v);
    }
  }
}

function askToken(message) {
  stopLive();
  stopFollow();
  byId("main").hidden = true;
  byId("signout").hidden = true;
  byId("who").textContent = "";
  byId("login").hidden = false;
  byId("login-msg").textContent = message;
  byId("token").focus();
}

byId("login-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const t = byId("token").value.trim();
  byId("token").value = "";
  if (!t) return;
  sessionStorage.setItem(TOKEN_KEY, t);
  start();
});
byId("signout").addEventListener("click", () => {
  sessionStorage.removeItem(TOKEN_KEY);
  closeDetail();
  askToken("Signed out.");
});

const mayAct = (application) => me.role === "admin" || (me.role === "operator" && (me.applications || []).includes(application));

async function start() {
  try {
    me = await getJson("api/v1/whoami");
  } catch (e) {
    if (!(e instanceof Unauthorized)) byId("login-msg").textContent = "berth does not answer: " + e.message;
    return;
  }
  byId("login").hidden = true;
  byId("main").hidden = false;
  byId("who").textContent = me.role === "anonymous" ? "no --auth-file: read only" : me.name + " (" + me.role + (me.role === "operator" ? ": " + (me.applications || []).join(", ") : "") + ")";
  byId("signout").hidden = me.role === "anonymous";
  connectLive();
}

// The status arrives as server-sent events; a dropped stream is opened again, waiting longer each time.
let live;
function stopLive() {
  if (live) live.abort();
  live = undefined;
}
function setConn(text, ok) {
  const c = byId("conn");
  c.textContent = text;
  c.className = "conn " + (ok ? "live" : "down");
}
async function connectLive() {
  stopLive();
  const ctl = new AbortController();
  live = ctl;
  let delay = 1000;
  while (!ctl.signal.aborted) {
    try {
      const res = await api("api/v1/live", { signal: ctl.signal, headers: { accept: "text/event-stream" } });
      if (!res.ok) throw new Error((await res.json().catch(() => ({}))).error || "HTTP " + res.status);
      setConn("live", true);
      delay = 1000;
      await readEvents(res, (name, data) => {
        if (name === "status") renderStatus(JSON.parse(data));
        else if (name === "observed") byId("observed").textContent = "observed " + JSON.parse(data).observedAt.slice(11, 19);
        else if (name === "pending") byId("grid").replaceChildren($("p", {}, JSON.parse(data).error));
      });
      if (!ctl.signal.aborted) setConn("stream ended; reconnecting", false);
    } catch (e) {
      if (e instanceof Unauthorized || ctl.signal.aborted) return;
      setConn("disconnected: " + e.message + "; retrying", false);
    }
    await sleep(delay);
    delay = Math.min(delay * 2, 30000);
  }
}
`;
