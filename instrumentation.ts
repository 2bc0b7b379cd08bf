// Next.js calls register() once per server start. Background jobs run in the Node.js server
// only: not in the edge runtime, and not in the workers of `next build`. The condition is
// written inline, as Next's docs show, so the edge bundle drops the import entirely.
export async function register() {
  if (process.env.NEXT_RUNTIME === "nodejs" && process.env.NEXT_PHASE !== "phase-production-build") {
    // Defines every job, then starts the engine: workers, and cron schedules shared by all instances.
    await import("./lib/jobs/handlers");
    const { startJobs } = await import("./lib/jobs/queue");
    void startJobs().catch((e) => console.error("[jobs] the job engine could not start", e));
    // The device CA exists from the first start, so its expiry card and SCEP are ready.
    const { deviceCa } = await import("./lib/pki/device-ca");
    void deviceCa().catch((e) => console.error("device CA could not be created", e));
  }
}
