// The page as text: its script parses, its CSP allows exactly its own inline
// style and script, and it never runs inline handlers or builds HTML from data.
import { createHash } from "node:crypto";
import { Script } from "node:vm";
import { describe, expect, it } from "vitest";
import { CSP, PAGE, SCRIPT } from "./page.ts";
import { STYLE } from "./page/style.ts";

const hash = (s: string) => `'sha256-${createHash("sha256").update(s).digest("base64")}'`;

describe("the page", () => {
  it("has a script that parses", () => {
    expect(() => new Script(SCRIPT)).not.toThrow();
  });

  it("allows by hash only its own style and script, and reaches only its own origin", () => {
    expect(CSP).toContain(`script-src ${hash(SCRIPT)};`);
    expect(CSP).toContain(`style-src ${hash(STYLE)};`);
    expect(CSP).toContain("default-src 'none'; connect-src 'self';");
    expect(CSP).not.toMatch(/unsafe-(inline|eval|hashes)/);
    expect(PAGE).toContain(`<script>${SCRIPT}</script>`);
    expect(PAGE.match(/<script/g)).toHaveLength(1);
    expect(PAGE.match(/<style/g)).toHaveLength(1);
  });

  it("sets data only as text: no innerHTML, no inline handlers, no style attributes", () => {
    expect(SCRIPT).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/);
    expect(PAGE).not.toMatch(/\son[a-z]+=/);
    expect(PAGE).not.toMatch(/\sstyle=/);
    expect(SCRIPT).not.toMatch(/setAttribute\("style"|\.style\./);
  });

  it("finds every element it asks for by id, in the page or made by the script", () => {
    const asked = [...SCRIPT.matchAll(/byId\("([\w-]+)"\)/g)].map((m) => m[1]!);
    const made = new Set([...PAGE.matchAll(/\bid="([\w-]+)"/g), ...SCRIPT.matchAll(/\bid: "([\w-]+)"/g)].map((m) => m[1]!));
    expect(asked.length).toBeGreaterThan(20);
    expect([...new Set(asked)].filter((id) => !made.has(id))).toEqual([]);
  });

  it("sends the token only as a header, and keeps it in the tab (sessionStorage), never a cookie or localStorage", () => {
    expect(SCRIPT).toContain('h.authorization = "Bearer " + t');
    expect(SCRIPT).not.toMatch(/localStorage|document\.cookie|[?&]token=/);
  });
});
