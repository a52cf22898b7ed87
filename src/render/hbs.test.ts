import { describe, expect, it } from "vitest";
import { originalColumn, renderPlatformTemplate, templateHelperNames, TemplateError, toHandlebarsSource, type HbsContext } from "./hbs.ts";

const ctx: HbsContext = {
  chart: "web",
  workload: { name: "web", workloadKind: "Deployment", version: "1.0.0" },
  traits: ["autoscaler", "envs"],
  slots: { env: ["envs"] },
};

describe("handlebars over Go templates", () => {
  it.each([
    { name: "Go action untouched", src: "a: {{ .Values.a | quote }}", want: "a: {{ .Values.a | quote }}" },
    { name: "trim markers untouched", src: "{{- if .X }}\nb\n{{- end }}", want: "{{- if .X }}\nb\n{{- end }}" },
    { name: "adjacent Go actions", src: "{{ a }}{{ b }}", want: "{{ a }}{{ b }}" },
    { name: "Go comment", src: "{{/* note */}}", want: "{{/* note */}}" },
    { name: "triple braces are Go text too", src: "x: {{{ y }}}", want: "x: {{{ y }}}" },
    { name: "handlebars variable", src: "name: <% chart %>", want: "name: web" },
    { name: "handlebars next to Go", src: '{{ include "<% chart %>.labels" . }}', want: '{{ include "web.labels" . }}' },
    { name: "handlebars condition", src: "<%#if (eq workload.workloadKind \"Deployment\")%>d<%else%>o<%/if%>", want: "d" },
    { name: "hasTrait", src: "<%#if (hasTrait \"autoscaler\")%>y<%/if%><%#if (hasTrait \"ingress\")%>n<%/if%>", want: "y" },
    { name: "handlebars comment dropped", src: "<%!-- platform note --%>k: v", want: "k: v" },
    { name: "no HTML escaping", src: "<% workload.workloadKind %> & <\"'>", want: "Deployment & <\"'>" },
    { name: "slotGuard", src: '{{- if <% slotGuard "env" ".Values.env" %> }}', want: "{{- if or (.Values.env) (.Values.traits.envs.enabled) }}" },
    { name: "empty slotGuard", src: '{{ if <% slotGuard "volumes" %> }}', want: "{{ if false }}" },
  ])("$name", ({ src, want }) => {
    expect(renderPlatformTemplate(src, ctx)).toBe(want);
  });

  it("escapes every Go opening delimiter before handlebars sees it", () => {
    expect(toHandlebarsSource("{{ a }} <% b %>")).toBe("\\{{ a }} {{ b }}");
  });

  it("a slot includes every filling trait behind its toggle", () => {
    const out = renderPlatformTemplate('<% slot "env" 8 %>', ctx);
    expect(out).toBe('{{- if .Values.traits.envs.enabled }}\n{{- include "web.trait.envs.env" . | trim | nindent 8 }}\n{{- end }}');
  });

  it("a slot block in a trait file defines the fragment and records the slot", () => {
    const filled: string[] = [];
    const out = renderPlatformTemplate('<%#slot "env"%>\n- name: {{ .name | quote }}\n<%/slot%>\n', { ...ctx, trait: { name: "envs" } }, {
      fill: (s) => filled.push(s),
    });
    expect(filled).toEqual(["env"]);
    expect(out).toBe('{{- define "web.trait.envs.env" }}\n- name: {{ .name | quote }}\n{{- end }}\n');
  });

  it("an unknown handlebars variable fails loudly", () => {
    expect(() => renderPlatformTemplate("<% nosuch %>", ctx)).toThrow(/nosuch/);
  });
});

describe("a template that handlebars cannot compile or run", () => {
  const failure = (src: string, c: HbsContext = ctx): TemplateError => {
    try {
      renderPlatformTemplate(src, c);
    } catch (e) {
      if (e instanceof TemplateError) return e;
      throw e;
    }
    throw new Error(`rendered without error: ${src}`);
  };
  it.each([
    { name: "unknown variable", src: "a: 1\nb: <% nosuch %>", line: 2, col: 7, reason: /"nosuch" is not defined; a template can use chart, workload\.name/ },
    { name: "column counts Go braces as written", src: "{{ .A }} {{ .B }} <% nosuch %>", line: 1, col: 22, reason: /"nosuch" is not defined/ },
    { name: "unclosed block", src: "<%#if traits%>\nx\n", line: 3, col: 1, reason: /block is never closed; end it with <%\/name%>/ },
    { name: "block closed by another name", src: "x\n<%#if traits%>\n<%/each%>", line: 2, col: 4, reason: /<%#if%> is closed by <%\/each%>; close it with <%\/if%>/ },
    { name: "stray token", src: "<% / %>", line: 1, col: 4, reason: /syntax error: found "\." or "\/" where handlebars expects a name/ },
    { name: "unclosed mustache", src: "a: <% chart", line: 1, col: 7, reason: /syntax error: a <% is not closed by %>/ },
    { name: "partial", src: "\n  <%> shared %>", line: 2, col: 3, reason: /partial "shared": berth templates have no partials/ },
    { name: "partial block", src: "<%#> shared %>x<%/shared%>", line: 1, col: 1, reason: /berth templates have no partials/ },
    { name: "decorator", src: "<%* deco %>", line: 1, col: 1, reason: /decorators .* are not supported/ },
    { name: "the log helper is gone", src: "<% log \"x\" %>", line: 1, col: 4, reason: /"log" is not defined/ },
    { name: "slot block outside a trait", src: "\n<%#slot \"env\"%>x<%/slot%>", line: 2, col: 1, reason: /works only in a TraitDefinition's template; in a workload template write <% slot "env" %>/ },
  ])("$name: $line:$col", ({ src, line, col, reason }) => {
    const e = failure(src);
    expect({ line: e.line, col: e.col }).toEqual({ line, col });
    expect(e.reason).toMatch(reason);
    expect(e.reason).not.toMatch(/\n\s+at /); // no stack trace in the message
  });

  it.each([
    ["a {{ b }} c", 2, 2],
    ["a {{ b }} c", 12, 11],
    ["{{{{ x", 6, 4],
    ["<% x %>", 3, 3],
  ])("originalColumn(%j, %i) = %i", (line, converted, want) => expect(originalColumn(line, converted)).toBe(want));
});

describe("what a template can reach", () => {
  it("only pure helpers: handlebars' control flow and berth's own, no log, nothing of fs, env or process", () => {
    expect(templateHelperNames()).toEqual(["each", "eq", "hasTrait", "if", "lookup", "slot", "slotGuard", "unless", "with"]);
  });

  it.each([
    "<% lookup this \"constructor\" %>",
    "<% constructor %>",
    "<% __proto__ %>",
  ])("prototype access renders nothing: %s", (src) => {
    expect(renderPlatformTemplate(src, ctx)).toBe("");
  });

  it("prototype access on a string is an error, not its constructor", () => {
    expect(() => renderPlatformTemplate("<%#each traits%><% this.constructor %><%/each%>", ctx)).toThrow(/"\.constructor" is looked up on a value that has no fields/);
  });

  it("the 2021 strict-mode RCE payload (CVE-2021-23369) runs nothing", () => {
    const payload = [
      '<%#with (__lookupGetter__ "__proto__")%><%#with (./constructor.getOwnPropertyDescriptor . "valueOf")%>',
      "<%#with ../constructor.prototype%><%../../constructor.defineProperty . \"hasOwnProperty\" ..%><%/with%><%/with%><%/with%>",
      '<%#with "constructor"%><%#with split%><%pop (push "globalThis.__berthPwned = 1;")%><%/with%><%/with%>',
    ].join("");
    expect(() => renderPlatformTemplate(payload, ctx)).toThrow(TemplateError);
    expect((globalThis as { __berthPwned?: number }).__berthPwned).toBeUndefined();
  });
});
