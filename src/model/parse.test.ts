import { describe, expect, it } from "vitest";
import { parseFile } from "./parse.ts";

const doc = `apiVersion: berth.dev/v1alpha1
kind: Application
metadata:
  name: shop
spec:
  namespace: shop
  components:
    - name: api
      component: api
      version: "^3.0.0"
      traits:
        ingress: { host: a.example.com }
`;

describe("parseFile", () => {
  it("reads several documents and skips empty ones", () => {
    const r = parseFile("a.yaml", `---\n${doc}---\n# only a comment\n---\n${doc.replace("shop", "blog")}`);
    expect(r.issues).toEqual([]);
    expect(r.docs.map((d) => (d.data.metadata as { name: string }).name)).toEqual(["shop", "blog"]);
    expect(r.docs[1]?.origin.pos(["metadata", "name"])).toEqual({ line: 20, col: 9 });
  });

  it.each<[string, (string | number)[], { line: number; col: number }]>([
    ["a scalar points at its value", ["spec", "components", 0, "version"], { line: 10, col: 16 }],
    ["a mapping points at its key", ["spec", "components", 0, "traits"], { line: 11, col: 7 }],
    ["a flow mapping value is a mapping too", ["spec", "components", 0, "traits", "ingress"], { line: 12, col: 9 }],
    ["a list item points at the item", ["spec", "components", 0], { line: 8, col: 7 }],
    ["a missing field falls back to its parent's key", ["spec", "components", 0, "dependsOn", 0], { line: 8, col: 7 }],
    ["a missing top-level field falls back to the document", ["nope"], { line: 1, col: 1 }],
    ["an index past the end falls back", ["spec", "components", 5, "name"], { line: 7, col: 3 }],
    ["the root", [], { line: 1, col: 1 }],
  ])("positions: %s", (_n, path, want) => {
    const r = parseFile("a.yaml", doc);
    expect(r.docs[0]?.origin.pos(path)).toEqual(want);
  });

  it.each<[string, string, RegExp, number]>([
    ["syntax error", "a: b: c\n", /YAML syntax error/, 1],
    ["duplicate key", "kind: Cluster\nkind: Cluster\n", /Map keys must be unique/, 2],
    ["scalar document", "hello\n", /must be a mapping .* got a string/, 1],
    ["list document", "- 1\n", /got a list/, 1],
    ["missing apiVersion", "kind: Cluster\n", /missing apiVersion/, 1],
    ["unknown kind", "apiVersion: berth.dev/v1alpha1\nkind: Foo\n", /unknown kind "Foo": must be one of Component/, 2],
    ["alias bomb", "a: &a [1,1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n", /aliases expand too much/, 2],
  ])("refuses: %s", (_n, text, message, line) => {
    const r = parseFile("bad.yaml", text);
    expect(r.docs).toEqual([]);
    expect(r.issues[0]).toMatchObject({ file: "bad.yaml", line });
    expect(r.issues[0]?.message).toMatch(message);
  });

  it("allows a few aliases", () => {
    const r = parseFile("ok.yaml", "apiVersion: berth.dev/v1alpha1\nkind: Cluster\nx: &x { a: 1 }\ny: *x\n");
    expect(r.issues).toEqual([]);
  });

  it("refuses a file over the size limit without parsing it", () => {
    const r = parseFile("big.yaml", "a: 1\n".repeat(10), { maxBytes: 20 });
    expect(r.issues).toHaveLength(1);
    expect(r.issues[0]?.message).toMatch(/file is 50 bytes, over the limit of 20 bytes/);
  });
});
