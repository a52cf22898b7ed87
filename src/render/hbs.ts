// Handlebars over platform text only (definitions' template files), producing
// Helm Go templates. The two languages share `{{ }}`, so sources write
// handlebars as `<% %>` and Go templates as plain `{{ }}`:
//   1. every `{{` is escaped to `\{{`, which handlebars emits verbatim;
//   2. `<%` / `%>` become `{{` / `}}`.
// See charts-template/README.md. User data never passes through here.
import Handlebars from "handlebars";

export interface SlotSink {
  /** Records that the trait being rendered fills `slot`. */
  fill(slot: string): void;
}

export interface HbsContext {
  chart: string;
  workload: { name: string; workloadKind: string; version: string };
  trait?: { name: string };
  /** Applicable trait names, sorted. */
  traits: string[];
  /** Slot -> traits filling it, sorted (known once the traits are rendered). */
  slots: Record<string, string[]>;
}

/** Turns a `<% %>` source into handlebars source that leaves `{{ }}` alone. */
export function toHandlebarsSource(src: string): string {
  return src.replaceAll("{{", "\\{{").replaceAll("<%", "{{").replaceAll("%>", "}}");
}

/** Renders one platform template. `sink` is set when rendering a trait's files. */
export function renderPlatformTemplate(
  src: string,
  ctx: HbsContext,
  sink?: SlotSink,
): string {
  const hb = Handlebars.create();
  hb.registerHelper("eq", (a: unknown, b: unknown) => a === b);
  hb.registerHelper("hasTrait", (name: string) => ctx.traits.includes(name));
  hb.registerHelper("slot", function (this: unknown, name: string, ...rest: unknown[]) {
    const options = rest[rest.length - 1] as Handlebars.HelperOptions;
    if (typeof options.fn === "function") {
      // block form, inside a trait's fragment file: define the fragment
      if (!ctx.trait || !sink) throw new Error(`slot "${name}" block used outside a trait template`);
      sink.fill(name);
      const body = options.fn(this).replace(/^\n+/, "").replace(/\s+$/, "");
      return `{{- define "${fragmentName(ctx.chart, ctx.trait.name, name)}" }}\n${body}\n{{- end }}\n`;
    }
    // inline form, inside a workload template: include every filler
    const indent = typeof rest[0] === "number" ? rest[0] : 0;
    const fillers = ctx.slots[name] ?? [];
    if (fillers.length === 0) return `{{- /* no trait fills ${name} */}}`;
    return fillers
      .map(
        (t) =>
          `{{- if .Values.traits.${t}.enabled }}\n` +
          `{{- include "${fragmentName(ctx.chart, t, name)}" . | trim | nindent ${indent} }}\n` +
          `{{- end }}`,
      )
      .join("\n");
  });
  hb.registerHelper("slotGuard", (name: string, ...rest: unknown[]) => {
    const base = rest.slice(0, -1).filter((x): x is string => typeof x === "string");
    const terms = [...base, ...(ctx.slots[name] ?? []).map((t) => `.Values.traits.${t}.enabled`)];
    return terms.length === 0 ? "false" : `or ${terms.map((t) => `(${t})`).join(" ")}`;
  });
  const template = hb.compile(toHandlebarsSource(src), { noEscape: true, strict: true });
  return template(ctx);
}

export function fragmentName(chart: string, trait: string, slot: string): string {
  return `${chart}.trait.${trait}.${slot}`;
}
