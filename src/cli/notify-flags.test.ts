import { describe, expect, it } from "vitest";
import { notifyFromFlags } from "./notify-flags.ts";

describe("notifyFromFlags", () => {
  it("takes the flags, directories resolved against the working directory", () => {
    expect(notifyFromFlags({ notificationCredentialsDir: ["creds", "/etc/berth/notify"], notificationUrlAllow: ["https://hooks.example.com/"], notificationNamespace: "ops" }, "/srv", {})).toEqual({
      policy: { credentialDirs: ["/srv/creds", "/etc/berth/notify"], urls: ["https://hooks.example.com/"] },
      namespace: "ops",
    });
  });

  it("else the environment", () => {
    const env = { BERTH_NOTIFICATION_CREDENTIAL_DIRS: "/a:/b", BERTH_NOTIFICATION_URLS: "https://x.example/, https://y.example/", BERTH_NAMESPACE: "berth" };
    expect(notifyFromFlags({}, "/srv", env)).toEqual({ policy: { credentialDirs: ["/a", "/b"], urls: ["https://x.example/", "https://y.example/"] }, namespace: "berth" });
  });

  it("else nothing: no file is read, nothing posted, the record in berth-system", () => {
    expect(notifyFromFlags({}, "/srv", {})).toEqual({ policy: { credentialDirs: [], urls: [] }, namespace: "berth-system" });
  });
});
