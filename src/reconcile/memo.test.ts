import { describe, expect, it } from "vitest";
import { readBook, withStepLogs, writeBook } from "./memo.ts";

// What an older berth wrote: step logs inside the memo ConfigMap.
const oldMemo = {
  "memo.json": JSON.stringify({ failures: 0, steps: [] }),
  "records.json": JSON.stringify([
    {
      at: "2024-01-01T00:00:00.000Z",
      commit: "c1",
      cluster: "east",
      release: "shop-api",
      namespace: "shop",
      action: "upgrade",
      steps: [{ kind: "run", to: "2.4.0", job: "shop-api-up-2-4-0-abc", succeeded: true, logs: "password=hunter2", message: "Complete" }],
      result: "succeeded",
      durationMs: 5,
    },
  ]),
};

describe("the memo keeps no step logs", () => {
  it("an old memo with logs is read without them and rewritten without them on the next write", () => {
    const book = readBook(oldMemo);
    expect(book.records[0]!.steps[0]).toEqual({ kind: "run", to: "2.4.0", job: "shop-api-up-2-4-0-abc", succeeded: true, message: "Complete" });
    const written = writeBook(book);
    expect(written["records.json"]).not.toContain("hunter2");
    expect(written["records.json"]).not.toContain('"logs"');
  });

  it("a record given logs in memory still writes none", () => {
    const book = readBook(oldMemo);
    const withLogs = withStepLogs(book.records, { "shop-api-up-2-4-0-abc": "token=s3cret" });
    expect(withLogs[0]!.steps[0]!.logs).toBe("token=s3cret");
    expect(writeBook({ ...book, records: withLogs })["records.json"]).not.toContain("s3cret");
  });
});
