// GET /: the page — one self-contained document (inline CSS and JS, allowed
// by their hashes; no framework). The shell is public: it holds no data, and
// asks for a token when the API answers 401 (a browser cannot send a header
// on navigation), keeping it in sessionStorage and sending it as Bearer from
// fetch. The status comes live from /api/v1/live; a click on a cell opens the
// release view, an application's name its dependency picture. Data is only
// ever set as textContent.
import { createHash } from "node:crypto";
import { CORE_JS } from "./page/core.ts";
import { GRAPH_JS } from "./page/graph.ts";
import { LOGS_JS } from "./page/logs.ts";
import { RELEASE_JS } from "./page/release.ts";
import { STYLE } from "./page/style.ts";
import { TABLE_JS } from "./page/table.ts";
import { defineRoute, type Route } from "./router.ts";

export const PAGE_PATH = "/";

/** The whole script: its parts share one scope; start() runs once the document is parsed (the script is last). */
export const SCRIPT = `(() => {\n"use strict";\n${CORE_JS}${TABLE_JS}${RELEASE_JS}${LOGS_JS}${GRAPH_JS}\nstart();\n})();\n`;

export const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>berth</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<header><h1>berth</h1><span class="meta" id="source"></span><span class="meta" id="revision"></span><span class="meta" id="observed"></span><span class="spacer"></span><span class="conn" id="conn"></span><span class="meta" id="who"></span><button type="button" id="signout" hidden>sign out</button></header>
<section id="login" hidden>
<form id="login-form">
<h2>berth</h2>
<p id="login-msg"></p>
<label>Token <input type="password" id="token" name="token" autocomplete="off" required></label>
<button type="submit" class="primary">sign in</button>
<p class="small">The token stays in this tab (sessionStorage) and goes with each request as Authorization: Bearer.</p>
</form>
</section>
<main id="main" hidden>
<div id="banners"></div>
<div class="toolbar"><input type="search" id="filter" placeholder="filter by application or release" aria-label="filter"><label><input type="checkbox" id="problems"> only what is not succeeded</label><span class="small" id="counts"></span></div>
<div id="grid"><p>loading…</p></div>
</main>
<section id="detail" hidden></section>
<script>${SCRIPT}</script>
</body>
</html>
`;

const hash = (s: string) => `'sha256-${createHash("sha256").update(s).digest("base64")}'`;

/** Only this page's own inline style and script run; data comes from this origin only. */
export const CSP = `default-src 'none'; connect-src 'self'; img-src 'self' data:; style-src ${hash(STYLE)}; script-src ${hash(SCRIPT)}; base-uri 'none'; frame-ancestors 'none'; form-action 'none'`;

export function pageRoute(): Route {
  return defineRoute({
    method: "GET",
    path: PAGE_PATH,
    summary: "The page (HTML): a shell without data that asks for a token when the API needs one",
    access: "public",
    responses: { 200: { description: "OK", contentType: "text/html" } },
    handle: ({ res }) => {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", "content-security-policy": CSP, "referrer-policy": "no-referrer" });
      res.end(PAGE);
    },
  });
}
