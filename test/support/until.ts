// Polls `f` until it gives a value (a throw counts as not yet), or fails
// after `timeoutMs` saying what it waited for.
export async function until<T>(what: string, f: () => Promise<T | undefined>, timeoutMs = 120_000, everyMs = 250): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
