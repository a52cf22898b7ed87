import { describe, expect, it } from "vitest";
import { COMPUTED_MARK, expandPlatform, isReleaseNamespace, scanTemplate } from "./template-scan.ts";

const names = { chart: "web", workloadKind: "Deployment", workloadVersion: "1.0.0", trait: "rbac" };
const scan = (src: string) => scanTemplate(src, names);

describe("expandPlatform", () => {
  it.each<[string, string, string]>([
    ["Helm text passes through", "a: {{ .Values.a }}", "a: {{ .Values.a }}"],
    ["known names are filled in", "<% chart %>/<% workload.workloadKind %>/<% trait.name %>", "web/Deployment/rbac"],
    ["other expressions are marked computed", "x: <% slot \"env\" 4 %>", `x: ${COMPUTED_MARK}`],
    ["comments and block tags vanish", "<%!-- c --%>a<%#if (hasTrait \"x\")%>b<%else%>c<%/if%>", "abc"],
    ["a comment can no longer hide a Helm action", "{<%!-- x --%>{ lookup }}", "{{ lookup }}"],
    ["tilde strips whitespace on its side", "a  <%~ chart ~%>\n  b", "awebb"],
    ["an escaped <% stays text", "\\<% chart %>", "\\<% chart %>"],
  ])("%s", (_n, src, want) => {
    expect(expandPlatform(src, names).text).toBe(want);
  });

  it("keeps each character's source line and column", () => {
    const { text, at } = expandPlatform("<%!-- one\ntwo --%>\nkind: X", names);
    expect(text).toBe("\nkind: X");
    expect(at[text.indexOf("X")]).toEqual({ line: 3, col: 7 });
  });
});

describe("scanTemplate: kinds", () => {
  it.each<[string, string, { line: number; col: number; kind?: string; computed?: string; apiVersion?: string }[]]>([
    ["one document", "apiVersion: v1\nkind: Service\n", [{ line: 2, col: 7, kind: "Service", apiVersion: "v1" }]],
    ["apiVersion after kind", "kind: ClusterRole\napiVersion: rbac.authorization.k8s.io/v1\n", [{ line: 1, col: 7, kind: "ClusterRole", apiVersion: "rbac.authorization.k8s.io/v1" }]],
    [
      "several documents",
      "{{- if .Values.x }}\napiVersion: v1\nkind: ConfigMap\n---\nkind: \"ClusterRoleBinding\" # admin\n{{- end }}\n",
      [{ line: 3, col: 7, kind: "ConfigMap", apiVersion: "v1" }, { line: 5, col: 7, kind: "ClusterRoleBinding" }],
    ],
    ["a nested kind is not a document's", "kind: RoleBinding\nroleRef:\n  kind: ClusterRole\n", [{ line: 1, col: 7, kind: "RoleBinding" }]],
    ["a Helm-computed kind", "kind: {{ .Values.kind }}\n", [{ line: 1, col: 7, computed: "{{ .Values.kind }}" }]],
    ["a handlebars name is known", "kind: <% workload.workloadKind %>\n", [{ line: 1, col: 7, kind: "Deployment" }]],
    ["another handlebars expression is computed", "kind: <% lookup traits 0 %>\n", [{ line: 1, col: 7, computed: COMPUTED_MARK }]],
    ["inside a block tag", "<%#if (hasTrait \"x\")%>kind: Namespace<%/if%>\n", [{ line: 1, col: 29, kind: "Namespace" }]],
  ])("%s", (_n, src, want) => {
    expect(scan(src).kinds).toEqual(want);
  });
});

describe("scanTemplate: metadata.namespace", () => {
  it.each<[string, string, { line: number; col: number; value: string }[]]>([
    ["the release's namespace is fine", "metadata:\n  name: a\n  namespace: {{ .Release.Namespace }}\n", []],
    ["quoted or piped through quote is fine", "metadata:\n  namespace: \"{{ .Release.Namespace }}\"\n---\nmetadata:\n  namespace: {{- $.Release.Namespace | quote -}}\n", []],
    ["a literal namespace", "kind: Secret\nmetadata:\n  name: a\n  labels:\n    namespace: fine\n  namespace: kube-system\n", [{ line: 6, col: 3, value: "kube-system" }]],
    ["a namespace from values", "metadata:\n{{- if .Values.ns }}\n  namespace: {{ .Values.ns }}\n{{- end }}\n", [{ line: 3, col: 3, value: "{{ .Values.ns }}" }]],
    ["flow style", "metadata: { name: a, namespace: other }\n", [{ line: 1, col: 22, value: "other" }]],
    ["a namespace key elsewhere is not metadata's", "spec:\n  namespace: x\nmetadata:\n  name: a\nsubjects:\n  - namespace: y\n", []],
  ])("%s", (_n, src, want) => {
    expect(scan(src).namespaces).toEqual(want);
  });

  it.each([
    ["{{ .Release.Namespace }}", true],
    ["{{- .Release.Namespace -}}", true],
    ["'{{ .Release.Namespace | quote }}'", true],
    ["{{ .Release.Namespace }}-x", false],
    ["{{ .Values.namespace }}", false],
  ])("isReleaseNamespace(%s) = %s", (v, want) => {
    expect(isReleaseNamespace(v)).toBe(want);
  });
});

describe("scanTemplate: functions that reach outside the release", () => {
  it.each<[string, string, { line: number; col: number; fn: string }[]]>([
    ["lookup", "data:\n  x: {{ (lookup \"v1\" \"Secret\" \"other\" \"db\").data | toYaml }}\n", [{ line: 2, col: 10, fn: "lookup" }]],
    ["getHostByName and tpl", "a: {{ getHostByName \"x\" }}\nb: {{ tpl .Values.t . }}\n", [{ line: 1, col: 7, fn: "getHostByName" }, { line: 2, col: 7, fn: "tpl" }]],
    ["in a define, across lines", "{{- define \"x\" -}}\n{{- $s := (\n  lookup \"v1\" \"Secret\" \"\" \"\") -}}\n{{- end }}\n", [{ line: 3, col: 3, fn: "lookup" }]],
    ["hidden by a handlebars comment", "{<%!-- --%>{ lookup \"v1\" \"Secret\" \"a\" \"b\" }}\n", [{ line: 1, col: 14, fn: "lookup" }]],
    ["a field, string or comment of that name is not a call", "{{ .Values.lookup }} {{ $.tpl }} {{ \"lookup\" }} {{/* tpl */}} {{ include \"lookup\" . }}\n", []],
    ["handlebars' own lookup is not Helm's", "<% lookup traits 0 %>\n", []],
    ["outside an action it is text", "lookup: tpl\n", []],
  ])("%s", (_n, src, want) => {
    expect(scan(src).calls).toEqual(want);
  });
});
