import { describe, expect, it } from "vitest";
import { kubeconfigPathProblem } from "./kubeconfig-path.ts";

describe("kubeconfigPathProblem", () => {
  it.each([
    ["/etc/berth/kubeconfigs/prod", undefined],
    ["~/.kube/config", undefined],
    ["/x/${BERTH_WEBHOOK_SECRET}", /has a "\$": nothing in a kubeconfig path is expanded/],
    ["$HOME/.kube/config", /has a "\$"/],
    ["~root/.kube/config", /only ~\/ .* is expanded, not ~user/],
    ["clusters/kubeconfig", /is relative, so it would depend on the directory berth runs in/],
    ["./kubeconfig", /is relative/],
  ])("%s", (path, want) => {
    const got = kubeconfigPathProblem(path, "--kubeconfig-dir DIR");
    if (want === undefined) expect(got).toBeUndefined();
    else expect(got).toMatch(want);
  });

  it("never repeats an environment value, only the spelling", () => {
    process.env.BERTH_KCP_TEST = "s3cret-value";
    try {
      expect(kubeconfigPathProblem("/x/${BERTH_KCP_TEST}", "--kubeconfig-dir DIR")).not.toContain("s3cret-value");
    } finally {
      delete process.env.BERTH_KCP_TEST;
    }
  });
});
