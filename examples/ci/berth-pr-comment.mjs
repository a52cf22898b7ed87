#!/usr/bin/env node
// berth's pull-request loop: runs `berth diff --format markdown` between a
// pull request's target and its head, and creates or updates ONE comment on
// the pull request with it (found again by its hidden marker line), on GitHub
// or Gitea. Node 20 or later, no dependencies. The workflows in
// examples/ci/github and examples/ci/gitea call it; a person can run it by hand.
// `--help` says every option and variable.
import { execFile } from "node:child_process";
import console from "node:console";
import { readFileSync, realpathSync } from "node:fs";
import process from "node:process";
import { setTimeout } from "node:timers";
import { URL, pathToFileURL } from "node:url";

const HELP = `Usage: node berth-pr-comment.mjs [options]

Runs berth diff --base <target> --head <head> --format markdown and creates or
updates one comment on the pull request with its output (the one whose body
holds the marker line; never a second one). Prints what it did.

Options (each can also be given as the environment variable after it):
  --forge github|gitea   BERTH_FORGE. Default: gitea when GITEA_ACTIONS=true
                         (Gitea Actions sets it), else github.
  --api-url URL          BERTH_API_URL, else GITHUB_API_URL (both Actions set it).
                         GitHub: https://api.github.com (the default);
                         Gitea: https://<host>/api/v1.
  --repository O/R       GITHUB_REPOSITORY: owner/name of the repository.
  --pr N                 BERTH_PR_NUMBER. Default: pull_request.number of the
                         event in GITHUB_EVENT_PATH.
  --base REV             BERTH_BASE_SHA: the target branch's commit.
                         Default: the event's pull_request.base.sha.
  --head REV             BERTH_HEAD_SHA: the pull request's head commit.
                         Default: the event's pull_request.head.sha.
  --no-merge-base        BERTH_MERGE_BASE=false: compare with the target commit
                         itself. By default berth compares with the merge base
                         of target and head (git merge-base), so the comment
                         shows what the pull request changes, not what the
                         target gained since it branched.
  --dir DIR              BERTH_DIR: the definitions directory in the clone
                         (default .).
  --berth CMD            BERTH_COMMAND: how to run berth, split at spaces
                         (default: npx berth).
  --diff-args ARGS       BERTH_DIFF_ARGS: more arguments for berth diff, split
                         at spaces (e.g. --no-manifests, --helm /usr/bin/helm).
  --marker TEXT          BERTH_MARKER: the line that marks the comment
                         (default <!-- berth-diff -->, what berth prints first).
                         Another one replaces berth's: one comment per
                         definitions directory, e.g. <!-- berth-diff: prod/ -->.
  --dry-run              print the comment instead of posting it (no token needed).
  -h, --help             this text.

The token comes from the environment only, never from an option (options show
in process lists and logs): BERTH_FORGE_TOKEN, else GITHUB_TOKEN, else
GITEA_TOKEN. It needs to write comments on pull requests (GitHub:
pull-requests: write; Gitea: issues: write). It is never printed.

Exit status: 0 the comment is there (or --dry-run printed it); 1 berth diff
failed (the comment then says why, so the pull request shows it) or the forge
refused a call; 2 a missing or wrong option.

Run by hand against GitHub:
  GITHUB_TOKEN=... node berth-pr-comment.mjs --repository acme/deploy --pr 42 \\
    --base origin/main --head HEAD
against Gitea:
  GITEA_TOKEN=... node berth-pr-comment.mjs --forge gitea \\
    --api-url https://git.example.com/api/v1 --repository acme/deploy --pr 42 \\
    --base origin/main --head HEAD`;

/** The line berth diff --format markdown starts with. */
const BERTH_MARKER = "<!-- berth-diff -->";

/** GitHub refuses a comment body over 65536 characters; room is kept for the note. */
const MAX_BODY = 65_000;

class UsageError extends Error {}

function parseArgs(argv, env) {
  const o = {
    forge: env.BERTH_FORGE || (env.GITEA_ACTIONS === "true" ? "gitea" : "github"),
    apiUrl: env.BERTH_API_URL || env.GITHUB_API_URL || "",
    repository: env.GITHUB_REPOSITORY || "",
    pr: env.BERTH_PR_NUMBER || "",
    base: env.BERTH_BASE_SHA || "",
    head: env.BERTH_HEAD_SHA || "",
    mergeBase: env.BERTH_MERGE_BASE !== "false",
    dir: env.BERTH_DIR || ".",
    berth: env.BERTH_COMMAND || "npx berth",
    diffArgs: env.BERTH_DIFF_ARGS || "",
    marker: env.BERTH_MARKER || BERTH_MARKER,
    dryRun: false,
    help: false,
  };
  const valued = { "--forge": "forge", "--api-url": "apiUrl", "--repository": "repository", "--pr": "pr", "--base": "base", "--head": "head", "--dir": "dir", "--berth": "berth", "--diff-args": "diffArgs", "--marker": "marker" };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.startsWith("--") && a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    if (flag === "-h" || flag === "--help") o.help = true;
    else if (flag === "--dry-run") o.dryRun = true;
    else if (flag === "--no-merge-base") o.mergeBase = false;
    else if (flag === "--token") throw new UsageError("--token is not an option: give the token in BERTH_FORGE_TOKEN, GITHUB_TOKEN or GITEA_TOKEN, where process lists and logs do not show it");
    else if (flag in valued) {
      const v = inline ?? argv[++i];
      if (v === undefined || v === "") throw new UsageError(`${flag} needs a value`);
      o[valued[flag]] = v;
    } else throw new UsageError(`unknown option ${a} (--help lists them)`);
  }
  return o;
}

/** The pull request's number and commits from the Actions event payload, for what options and variables left out. */
function fromEvent(o, env) {
  if (o.pr && o.base && o.head) return o;
  if (!env.GITHUB_EVENT_PATH) return o;
  let event;
  try {
    event = JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, "utf8"));
  } catch (err) {
    throw new UsageError(`GITHUB_EVENT_PATH ${env.GITHUB_EVENT_PATH}: cannot read the event (${err.message})`);
  }
  const pr = event.pull_request;
  if (!pr) return o;
  return { ...o, pr: o.pr || String(pr.number ?? ""), base: o.base || (pr.base?.sha ?? ""), head: o.head || (pr.head?.sha ?? "") };
}

function validate(o) {
  if (o.forge !== "github" && o.forge !== "gitea") throw new UsageError(`--forge must be github or gitea, not "${o.forge}"`);
  if (!o.apiUrl) o.apiUrl = o.forge === "github" ? "https://api.github.com" : "";
  const missing = [];
  if (!o.dryRun) {
    if (!o.apiUrl) missing.push("--api-url (BERTH_API_URL or GITHUB_API_URL; for Gitea https://<host>/api/v1)");
    if (!/^[^/\s]+\/[^/\s]+$/.test(o.repository)) missing.push(`--repository owner/name (GITHUB_REPOSITORY)${o.repository ? `, not "${o.repository}"` : ""}`);
    if (!/^[1-9][0-9]*$/.test(o.pr)) missing.push(`--pr, the pull request's number (BERTH_PR_NUMBER, or a pull_request event in GITHUB_EVENT_PATH)${o.pr ? `, not "${o.pr}"` : ""}`);
  }
  if (!o.base) missing.push("--base, the target's commit (BERTH_BASE_SHA, or the event's pull_request.base.sha)");
  if (!o.head) missing.push("--head, the pull request's head commit (BERTH_HEAD_SHA, or the event's pull_request.head.sha)");
  if (missing.length) throw new UsageError(`missing or wrong: ${missing.join("; ")}`);
  if (o.apiUrl) {
    try {
      new URL(o.apiUrl);
    } catch {
      throw new UsageError(`--api-url must be a URL such as https://api.github.com or https://git.example.com/api/v1, not "${o.apiUrl}"`);
    }
  }
  return o;
}

function run(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    execFile(cmd, args, { maxBuffer: 256 * 1024 * 1024, ...opts }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
      resolve({ code, stdout, stderr, spawnError: err && typeof err.code !== "number" ? err.message : undefined });
    });
  });
}

/** The merge base of target and head, or the target itself when git cannot say (a shallow clone). */
async function mergeBase(o) {
  if (!o.mergeBase) return { rev: o.base, note: "" };
  const r = await run("git", ["merge-base", o.base, o.head], { cwd: o.dir });
  const sha = r.stdout.trim();
  if (r.code === 0 && sha) return { rev: sha, note: sha.startsWith(o.base) ? "" : ` (the merge base of ${o.base} and ${o.head})` };
  console.error(`berth-pr-comment: git merge-base ${o.base} ${o.head} failed (${(r.stderr || r.spawnError || "").trim()}); comparing with ${o.base} itself. Check out with full history (actions/checkout fetch-depth: 0).`);
  return { rev: o.base, note: "" };
}

/** A body cut to the forge's limit at a line, its open fence and <details> closed, with a note saying so. */
export function fitBody(body, max = MAX_BODY) {
  if (body.length <= max) return body;
  const lines = body.slice(0, max).split("\n");
  lines.pop(); // the last line may be cut in the middle
  let fence = "";
  let open = 0;
  for (const l of lines) {
    const m = /^(`{3,})/.exec(l);
    if (fence && m && l.trim() === fence) fence = "";
    else if (!fence && m) fence = m[1];
    if (!fence) open += (l.match(/<details[\s>]/g) ?? []).length - (l.match(/<\/details>/g) ?? []).length;
  }
  return [...lines, ...(fence ? [fence] : []), ...Array.from({ length: Math.max(0, open) }, () => "</details>"), "", `**Cut here**: the diff is ${body.length} characters, more than a comment holds; run the same berth diff locally to see all of it.`, ""].join("\n");
}

async function berthDiff(o, base) {
  const [cmd, ...pre] = o.berth.split(/\s+/).filter(Boolean);
  const args = [...pre, "diff", "--base", base, "--head", o.head, "--format", "markdown", ...o.diffArgs.split(/\s+/).filter(Boolean), o.dir];
  const r = await run(cmd, args);
  // 0: no changes, 3: changes; anything else is berth (or the command) failing
  if (r.code === 0 || r.code === 3) return { ok: true, markdown: r.stdout, changes: r.code === 3 };
  const why = (r.spawnError ?? r.stderr.trim()) || `exit ${r.code}`;
  return { ok: false, command: [cmd, ...args].join(" "), why, code: r.code };
}

function failureBody(o, d) {
  const fence = "`".repeat(Math.max(3, ...[...d.why.matchAll(/`+/g)].map((m) => m[0].length + 1)));
  return [o.marker, "## berth diff failed", "", `\`${d.command}\` exited ${d.code}:`, "", fence, d.why, fence, "", "The definitions at the head may not load or render; `berth validate` says what to fix.", ""].join("\n");
}

const CALL_TIMEOUT_MS = 30_000;

/** A failed forge call; `transient`: the forge could not answer (network, 5xx), so a GET or PATCH may be tried again. */
class ForgeError extends Error {
  constructor(message, transient) {
    super(message);
    this.transient = transient;
  }
}

/**
 * A forge call, tried again twice (after 1 s, then 3 s) when the forge could
 * not answer — but a POST never: if the first one was taken, a second would
 * make a second comment.
 */
async function call(o, token, method, path, body) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await callOnce(o, token, method, path, body);
    } catch (err) {
      if (!(err instanceof ForgeError) || !err.transient || method === "POST" || attempt >= 2) throw err;
      console.error(`berth-pr-comment: ${err.message}; trying again`);
      await new Promise((r) => setTimeout(r, attempt === 0 ? 1_000 : 3_000));
    }
  }
}

/** One forge call; a refusal throws with the method, the URL and the forge's own message, never the token. */
async function callOnce(o, token, method, path, body) {
  const url = new URL(/^https?:/.test(path) ? path : `${o.apiUrl.replace(/\/+$/, "")}${path}`);
  // a next-page link is followed only where the token is meant to go
  if (url.origin !== new URL(o.apiUrl).origin) throw new Error(`the forge pointed to ${url.origin}, not ${new URL(o.apiUrl).origin}; not sending the token there`);
  const headers = { Accept: "application/json", "User-Agent": "berth-pr-comment" };
  if (o.forge === "github") {
    headers.Accept = "application/vnd.github+json";
    headers["X-GitHub-Api-Version"] = "2022-11-28";
    headers.Authorization = `Bearer ${token}`;
  } else headers.Authorization = `token ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let res;
  try {
    res = await globalThis.fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: globalThis.AbortSignal.timeout(CALL_TIMEOUT_MS) });
  } catch (err) {
    const why = err.name === "TimeoutError" ? `no answer in ${CALL_TIMEOUT_MS / 1000} s` : (err.cause?.message ?? err.message);
    throw new ForgeError(`${method} ${url.origin}${url.pathname}: cannot reach the forge (${why}); check --api-url`, true);
  }
  const text = await res.text();
  if (!res.ok) {
    let msg = text.slice(0, 500);
    try {
      msg = JSON.parse(text).message ?? msg;
    } catch {
      // not JSON: the start of the body says it
    }
    const hint =
      res.status === 401
        ? "; the token was refused: is it set and unexpired?"
        : res.status === 403
          ? `; the token may not write comments here (GitHub: permissions pull-requests: write; Gitea: issues: write)`
          : res.status === 404
            ? `; is ${o.repository} the repository, #${o.pr} one of its pull requests, and --api-url its API (${o.forge === "gitea" ? "https://<host>/api/v1" : "https://api.github.com"})?`
            : "";
    throw new ForgeError(`${method} ${url.origin}${url.pathname}: ${res.status} ${res.statusText}: ${msg}${hint}`, res.status >= 500);
  }
  return { json: text ? JSON.parse(text) : undefined, link: res.headers.get("link") ?? "" };
}

/** Every comment of the pull request, following the Link header's next page (GitHub pages; Gitea answers all at once). */
async function listComments(o, token) {
  const out = [];
  let path = `/repos/${o.repository}/issues/${o.pr}/comments?per_page=100`;
  for (let page = 0; path && page < 100; page++) {
    const r = await call(o, token, "GET", path);
    if (!Array.isArray(r.json)) throw new Error(`GET ${path}: the forge did not answer a list of comments; is --api-url its REST API?`);
    out.push(...r.json);
    path = /<([^>]+)>;\s*rel="next"/.exec(r.link)?.[1] ?? "";
  }
  return out;
}

export async function main(argv = process.argv.slice(2), env = process.env) {
  let o;
  try {
    o = parseArgs(argv, env);
    if (o.help) {
      console.log(HELP);
      return 0;
    }
    o = validate(fromEvent(o, env));
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`berth-pr-comment: ${err.message}`);
      return 2;
    }
    throw err;
  }
  const token = env.BERTH_FORGE_TOKEN || env.GITHUB_TOKEN || env.GITEA_TOKEN || "";
  if (!o.dryRun && !token) {
    console.error("berth-pr-comment: no token: set BERTH_FORGE_TOKEN, GITHUB_TOKEN or GITEA_TOKEN (a token that may write comments on the pull request), or use --dry-run");
    return 2;
  }

  const base = await mergeBase(o);
  console.error(`berth-pr-comment: berth diff --base ${base.rev}${base.note} --head ${o.head}`);
  const d = await berthDiff(o, base.rev);
  // a marker of its own replaces berth's, so no other run's comment matches it
  const markdown = d.ok && o.marker !== BERTH_MARKER ? d.markdown.replace(BERTH_MARKER, o.marker) : d.markdown;
  const body = fitBody(d.ok ? markdown : failureBody(o, d));
  if (!d.ok) console.error(`berth-pr-comment: berth diff failed (exit ${d.code}): ${d.why}`);
  if (d.ok && !body.includes(o.marker)) {
    console.error(`berth-pr-comment: berth's output does not hold the marker ${o.marker}; is ${o.berth} a berth that prints it (--format markdown)?`);
    return 1;
  }
  if (o.dryRun) {
    process.stdout.write(body);
    return d.ok ? 0 : 1;
  }

  try {
    // ours starts with the marker; a comment quoting ours does not
    const mine = (await listComments(o, token)).find((c) => typeof c.body === "string" && c.body.trimStart().startsWith(o.marker));
    const where = `${o.repository}#${o.pr}`;
    if (mine) {
      const r = await call(o, token, "PATCH", `/repos/${o.repository}/issues/comments/${mine.id}`, { body });
      console.log(`berth-pr-comment: updated comment ${mine.id} on ${where}${r.json?.html_url ? ` (${r.json.html_url})` : ""}: ${d.ok ? (d.changes ? "changes" : "no changes") : "berth diff failed"}`);
    } else {
      const r = await call(o, token, "POST", `/repos/${o.repository}/issues/${o.pr}/comments`, { body });
      console.log(`berth-pr-comment: created comment ${r.json?.id} on ${where}${r.json?.html_url ? ` (${r.json.html_url})` : ""}: ${d.ok ? (d.changes ? "changes" : "no changes") : "berth diff failed"}`);
    }
  } catch (err) {
    console.error(`berth-pr-comment: ${err.message}`);
    return 1;
  }
  return d.ok ? 0 : 1;
}

// run when executed, not when imported
if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(`berth-pr-comment: ${err.stack ?? err}`);
      process.exit(1);
    },
  );
}
