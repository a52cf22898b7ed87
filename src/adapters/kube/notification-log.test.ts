import { describe, expect, it } from "vitest";
import { KubeError } from "../../errors.ts";
import { NOTIFICATION_LOG, notificationLog } from "./notification-log.ts";

/** getObject / applyObject over one ConfigMap, with resourceVersion checked as the API server does. */
function fakeKube() {
  let cm: Record<string, unknown> | undefined;
  let version = 0;
  const namespaces = new Set<string>();
  let conflictOnce = false;
  return {
    get cm() {
      return cm;
    },
    namespaces,
    conflictNext() {
      conflictOnce = true;
    },
    async getObject(_a: string, _k: string, ns: string | undefined, name: string) {
      return cm && ns === "berth-system" && name === NOTIFICATION_LOG ? structuredClone(cm) : undefined;
    },
    async ensureNamespace(ns: string) {
      namespaces.add(ns);
    },
    async applyObject(obj: Record<string, unknown>) {
      const rv = (obj.metadata as { resourceVersion?: string }).resourceVersion;
      if (conflictOnce || (rv !== undefined && rv !== String(version))) {
        conflictOnce = false;
        // someone else wrote: the object moved on
        version++;
        if (cm) cm = { ...cm, metadata: { ...(cm.metadata as object), resourceVersion: String(version) } };
        throw new KubeError("east", "apply: conflict", { cause: { code: 409 } });
      }
      cm = { ...obj, metadata: { ...(obj.metadata as object), resourceVersion: String(++version) } };
    },
  };
}

describe("notificationLog", () => {
  it("remembers ids in berth's namespace (created when missing) and reads them back", async () => {
    const kube = fakeKube();
    const log = notificationLog(kube, "berth-system");
    expect(await log.read()).toEqual(new Set());
    await log.add(["a", "b"]);
    await log.add(["c"]);
    expect(await log.read()).toEqual(new Set(["a", "b", "c"]));
    expect(kube.namespaces).toEqual(new Set(["berth-system"]));
    expect((kube.cm!.metadata as { name: string }).name).toBe("berth-notifications");
  });

  it("reads again and retries when another writer came first", async () => {
    const kube = fakeKube();
    const log = notificationLog(kube, "berth-system");
    await log.add(["a"]);
    kube.conflictNext();
    await log.add(["b"]);
    expect(await log.read()).toEqual(new Set(["a", "b"]));
  });

  it("is bounded: the oldest ids are forgotten", async () => {
    const kube = fakeKube();
    let t = 0;
    const log = notificationLog(kube, "berth-system", 3, () => new Date(Date.UTC(2026, 0, 1, 0, 0, t++)));
    for (const id of ["1", "2", "3", "4", "5"]) await log.add([id]);
    expect(await log.read()).toEqual(new Set(["3", "4", "5"]));
  });

  it("a record edited into something else remembers nothing (and is replaced on the next write)", async () => {
    const kube = fakeKube();
    const log = notificationLog(kube, "berth-system");
    await log.add(["a"]);
    (kube.cm!.data as Record<string, string>).sent = "not json";
    expect(await log.read()).toEqual(new Set());
    await log.add(["b"]);
    expect(await log.read()).toEqual(new Set(["b"]));
  });
});
