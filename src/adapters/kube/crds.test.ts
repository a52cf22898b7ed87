import type * as k8s from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { makeCall } from "./call.ts";
import { crdReader } from "./crds.ts";

/** CRDs by name; each read of a CRD in `establishAfter` counts down before it reads Established. */
function fakeExt(crds: Record<string, { rv: string; establishAfter?: number }>) {
  const reads: string[] = [];
  const ext = {
    async readCustomResourceDefinition({ name }: { name: string }): Promise<k8s.V1CustomResourceDefinition> {
      reads.push(name);
      const c = crds[name];
      if (!c) throw Object.assign(new Error("NotFound"), { code: 404 });
      const established = (c.establishAfter ?? 0) <= 0;
      if (c.establishAfter) c.establishAfter--;
      return {
        metadata: { name, resourceVersion: c.rv },
        spec: {} as k8s.V1CustomResourceDefinitionSpec,
        status: { conditions: [{ type: "Established", status: established ? "True" : "False" }] } as k8s.V1CustomResourceDefinitionStatus,
      };
    },
  } as unknown as k8s.ApiextensionsV1Api;
  return { reader: crdReader("east", ext, makeCall("east", 1_000), 1), reads };
}

describe("crdReader", () => {
  it("reads a CRD's resourceVersion and whether it is Established; a missing one is undefined", async () => {
    const f = fakeExt({ "widgets.example.com": { rv: "7" } });
    expect(await f.reader.readCrd("widgets.example.com")).toEqual({ resourceVersion: "7", established: true });
    expect(await f.reader.readCrd("gadgets.example.com")).toBeUndefined();
  });

  it("waits until every CRD is Established, reading only those still waiting", async () => {
    const f = fakeExt({ "a.example.com": { rv: "1" }, "b.example.com": { rv: "1", establishAfter: 2 } });
    await f.reader.waitCrdsEstablished(["a.example.com", "b.example.com"], 5_000);
    expect(f.reads.filter((n) => n === "a.example.com")).toHaveLength(1);
    expect(f.reads.filter((n) => n === "b.example.com")).toHaveLength(3);
  });

  it("names the CRDs that are not Established in time", async () => {
    const f = fakeExt({ "b.example.com": { rv: "1", establishAfter: 1_000_000 } });
    await expect(f.reader.waitCrdsEstablished(["b.example.com", "gone.example.com"], 20)).rejects.toThrow(
      "cluster east: CustomResourceDefinition b.example.com, gone.example.com not Established within 1s",
    );
  });
});
