// The globs a Project names namespaces with (`shop`, `shop-*`): `*` is any run
// of characters, `?` one character, everything else itself; the whole name must match.

const cache = new Map<string, RegExp>();

function compile(glob: string): RegExp {
  let re = cache.get(glob);
  if (!re) {
    const body = [...glob].map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[\\^$.|+()[\]{}]/g, "\\$&"))).join("");
    re = new RegExp(`^${body}$`, "s");
    cache.set(glob, re);
  }
  return re;
}

export const globMatches = (glob: string, name: string): boolean => compile(glob).test(name);

/** Whether any of the globs matches the name. */
export const matchesAnyGlob = (globs: readonly string[], name: string): boolean => globs.some((g) => globMatches(g, name));

/** The same as matchesAnyGlob, under the name validation and the pre-install check both import. */
export const globAny = matchesAnyGlob;
