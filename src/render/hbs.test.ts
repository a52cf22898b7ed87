import { describe, expect, it } from "vitest";
import { renderPlatformTemplate, toHandlebarsSource, type HbsContext } from "./hbs.ts";

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
