// Next.js calls register() once per server start. Background jobs run in the Node.js server
// only: not in the edge runtime, and not in the workers of `next build`. The condition is
// written inline, as Next's docs show, so the edge bundle drops the import entirely.
export async function register() {
  if (process.env.NEXT_RUNTIME === "nodejs" && process.env.NEXT_PHASE !== "phase-production-build") {
    const { startScheduler } = await import("./lib/jobs/scheduler");
    startScheduler();
  }
}
