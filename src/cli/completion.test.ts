import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { runBerth } from "../../test/support/cli.ts";
import { bashScript, completionModel, fishScript, zshScript } from "./completion.ts";
import { createProgram } from "./index.ts";

const program = createProgram({ stdout: new PassThrough(), stderr: new PassThrough(), cwd: "/", env: {}, log: pino({ level: "silent" }), setExitCode: () => {} });
const registered = program.commands.map((c) => c.name());
const model = completionModel(program);

function scriptFile(name: string, text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), "berth-completion-")), name);
  writeFileSync(file, text);
  return file;
}

/** What bash's completion offers for the words typed so far (the last one being completed). */
function bashComplete(...words: string[]): string[] {
  const file = scriptFile("berth.bash", bashScript(model));
  const arr = words.map((w) => `'${w}'`).join(" ");
  const out = execFileSync("bash", ["-c", `source ${file}; COMP_WORDS=(${arr}); COMP_CWORD=${words.length - 1}; _berth; printf '%s\\n' "\${COMPREPLY[@]}"`]).toString();
  return out.split("\n").filter(Boolean);
}

describe("berth completion", () => {
  it("knows every registered command, help included", () => {
    expect(registered).toEqual(expect.arrayContaining(["validate", "render", "diff", "plan", "reconcile", "status", "drift", "serve", "explain", "history", "completion"]));
    expect(model.map((c) => c.name)).toEqual([...registered, "help"]);
  });

  it.each([
    ["bash", bashScript],
    ["zsh", zshScript],
    ["fish", fishScript],
  ])("%s: every command and every flag appears", (_shell, script) => {
    const text = script(model);
    for (const c of program.commands) {
      expect(text, c.name()).toContain(c.name());
      for (const o of c.options) if (!o.hidden) expect(text, `${c.name()} ${o.flags}`).toContain(o.long!.slice(2));
    }
  });

  it("bash: valid syntax (bash -n), and it completes commands, flags and a flag's choices", () => {
    const file = scriptFile("berth.bash", bashScript(model));
    expect(spawnSync("bash", ["-n", file]).status).toBe(0);
    expect(bashComplete("berth", "rec")).toEqual(["reconcile"]);
    expect(bashComplete("berth", "reconcile", "--pro")).toEqual(["--progress"]);
    expect(bashComplete("berth", "reconcile", "--progress", "")).toEqual(["auto", "tty", "lines", "none"]);
    expect(bashComplete("berth", "plan", "--output", "j")).toEqual(["json"]);
    expect(bashComplete("berth", "completion", "")).toEqual(expect.arrayContaining(["bash", "zsh", "fish"]));
    // a value without choices: left to bash's default (paths)
    expect(bashComplete("berth", "reconcile", "--source", "")).toEqual([]);
  });

  it("zsh: valid syntax (zsh -n)", () => {
    const r = spawnSync("zsh", ["-n", scriptFile("_berth", zshScript(model))]);
    expect(r.stderr.toString()).toBe("");
    expect(r.status).toBe(0);
  });

  it("fish: valid syntax (fish --no-execute)", () => {
    const r = spawnSync("fish", ["--no-execute", scriptFile("berth.fish", fishScript(model))]);
    expect(r.stderr.toString()).toBe("");
    expect(r.status).toBe(0);
  });

  it("the command prints the script; an unknown shell is a usage error", async () => {
    const r = await runBerth(["completion", "bash"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("complete -o default -F _berth berth");
    const bad = await runBerth(["completion", "tcsh"]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/Allowed choices are bash, zsh, fish/);
  });
});
