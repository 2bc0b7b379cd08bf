import { describe, expect, it } from "vitest";
import { translator } from "@/lib/i18n";
import { jobView } from "@/lib/jobs/view";
import type { Job } from "@/lib/db/generated/client";

const base: Job = {
  id: "7f1c2b9e-0000-4000-8000-000000000001", kind: "push-devices", status: "RUNNING", total: 12000, done: 3500, failed: 12,
  actorId: null, actorLabel: "admin@example.jp", params: {}, outcome: null, error: null,
  createdAt: new Date("2026-12-01T00:00:00Z"), startedAt: new Date("2026-12-01T00:00:01Z"), finishedAt: null,
};

describe("a job as the admin reads it", () => {
  it("names its kind and status in the admin's language, with no summary while running", () => {
    expect(jobView(base, translator("en"))).toMatchObject({ kindLabel: "Notify devices", statusLabel: "Running", summary: null, error: null, finished: false });
    expect(jobView(base, translator("ja"))).toMatchObject({ kindLabel: "デバイスへの通知", statusLabel: "実行中" });
  });

  it("sums up the outcome's counts once done, and says why it stopped", () => {
    const done = { ...base, status: "DONE" as const, done: 12000, outcome: { delivered: 11000, failed: 12, skipped: 988, stoppedBy: "noCertificate" } };
    expect(jobView(done, translator("en")).summary).toBe("11,000 delivered · 12 failed · 988 skipped · Stopped: there is no usable Apple push certificate.");
    expect(jobView(done, translator("en")).finished).toBe(true);
  });

  it("turns a failure's key and params into a sentence; lists in the outcome are left out", () => {
    const failed = { ...base, kind: "directory-sync", status: "FAILED" as const, error: "errors.job.lost", outcome: { params: {} } };
    expect(jobView(failed, translator("en"))).toMatchObject({ error: "The job was lost (the server stopped while it ran, or it never started). Start it again.", summary: null });
    const sync = { ...base, kind: "directory-sync", status: "DONE" as const, outcome: { created: 3, updated: 0, conflictSamples: [{ username: "x" }] } };
    expect(jobView(sync, translator("en")).summary).toBe("3 created");
    const idle = { ...sync, outcome: { created: 0, updated: 0 } };
    expect(jobView(idle, translator("en")).summary).toBe("Nothing to change");
  });
});
