// npm run simulate -- --enroll <enrollment URL> [--devices N] [--platform ios|macos|mixed]
//   [--not-now DeviceLock,...] [--error EraseDevice,...] [--poll 5] [--duration 60]
// Enrolls N simulated devices through the public protocol only, then connects every --poll
// seconds (real devices wait for a push, which cannot reach a simulator) for --duration seconds.
import { SimulatedDevice, type SimPlatform } from "./simulator/device";

function arg(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const list = (v?: string) => (v ? v.split(",").map((s) => s.trim()).filter(Boolean) : []);

async function main() {
  const url = arg("enroll");
  if (!url) throw new Error("Usage: npm run simulate -- --enroll <enrollment URL> [--devices N]");
  const count = Math.max(1, Number(arg("devices", "1")));
  const platform = arg("platform", "ios")!;
  const poll = Number(arg("poll", "5")) * 1000;
  const until = Date.now() + Number(arg("duration", "60")) * 1000;
  // One enrollment link is good for one device: with several devices, the URL must be a
  // template containing {n}, or several URLs separated by commas.
  const urls = url.includes(",") ? url.split(",") : Array.from({ length: count }, (_, i) => url.replace("{n}", String(i + 1)));
  const devices = urls.slice(0, count).map((_, i) => {
    const p: SimPlatform = platform === "mixed" ? (i % 2 ? "macos" : "ios") : (platform as SimPlatform);
    return new SimulatedDevice({ platform: p, notNow: list(arg("not-now")), error: list(arg("error")), log: (l) => console.log(l) });
  });
  await Promise.all(devices.map((d, i) => d.enroll(urls[i]!)));
  while (Date.now() < until) {
    const handled = await Promise.all(devices.map((d) => d.connect()));
    const total = handled.reduce((a, b) => a + b, 0);
    if (total) console.log(`answered ${total} commands`);
    await new Promise((r) => setTimeout(r, poll));
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
