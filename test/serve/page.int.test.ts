// The status page in headless Chromium, fed by a fixed snapshot (fast, and
// it covers what a healthy run never shows: a release's last error).
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeReconciler, fakeSource, record, SHA2 } from "../unit/helpers/serve-fixtures.ts";
import { createLogger } from "../../src/log.ts";
import { createMetrics } from "../../src/server/metrics.ts";
import { HttpError } from "../../src/server/router.ts";
import { startService, type Service } from "../../src/server/service.ts";
import { ARTIFACTS, launchChromium } from "../support/browser.ts";

let svc: Service;

beforeAll(async () => {
  svc = await startService({
    reconciler: fakeReconciler(),
    source: fakeSource(),
    metrics: createMetrics(),
    log: createLogger({ level: "silent" }),
    history: async (cluster, release) => {
      if (release !== "shop-api") throw new HttpError(404, `no release ${release} on ${cluster}`);
      return {
        cluster,
        release,
        namespace: "shop",
        suspended: false,
        records: [
          record({ cluster }),
          record({ cluster, action: "upgrade", fromVersion: "3.0.5", toVersion: "3.0.6", commit: SHA2, result: "failed", error: "upgrade failed: timed out waiting for the condition", steps: [{ kind: "run", to: "3.0.6", job: "shop-api-step-3.0.6", succeeded: true, logs: "", message: "" }] }),
        ],
      };
    },
    port: 0,
    host: "127.0.0.1",
    intervalMs: 60_000,
    webhookSecret: () => undefined,
  });
  while (!svc.state.snapshot) await new Promise((r) => setTimeout(r, 20));
});

afterAll(() => svc?.close());

describe("status page", () => {
  it("shows clusters x releases, and a release's history and last error after a click", async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      // A Content-Security-Policy violation shows as a console error.
      page.on("console", (m) => (m.type() === "error" ? errors.push(m.text()) : undefined));
      await page.goto(svc.url);
      await page.locator('th[data-cluster="west"]').waitFor();
      expect(await page.locator("thead th").allInnerTexts()).toEqual(["application / release", "east", "west"]);
      const cell = page.locator('td[data-cluster="west"][data-release="shop-api"]');
      expect(await cell.innerText()).toMatch(/3\.0\.5[\s\S]*unhealthy[\s\S]*install succeeded[\s\S]*blocked: needs shop-redis/);
      expect(await page.locator('td[data-cluster="east"][data-release="shop-redis"]').innerText()).toMatch(/7\.2\.4[\s\S]*healthy/);
      await cell.click();
      await page.locator('[data-testid="history"] tr').nth(2).waitFor();
      const detail = await page.locator("#detail").innerText();
      expect(detail).toContain("shop-api on west");
      expect(detail).toMatch(/last error: upgrade failed: timed out waiting for the condition/);
      expect(detail).toMatch(/upgrade[\s\S]*3\.0\.5 → 3\.0\.6[\s\S]*failed/);
      expect(detail).toMatch(/step run 3\.0\.6: ok \(job shop-api-step-3\.0\.6\)/);
      await mkdir(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, "status-page-fixed.png"), fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
