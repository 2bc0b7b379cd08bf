import { SimulatedDevice } from "../simulator/device";

// The load generator's devices: real protocol over HTTP to 127.0.0.1, timing every request.

export class Timings {
  readonly samples: { start: number; ms: number }[] = [];
  retries = 0;

  /** A fetch that records how long each request took, body included. */
  fetch: typeof fetch = async (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    if (!/^http:\/\/127\.0\.0\.1[:/]/.test(url)) throw new Error(`the load generator only talks to 127.0.0.1 (asked: ${url})`);
    const start = performance.now();
    const res = await fetch(input, init);
    const body = await res.arrayBuffer();
    this.samples.push({ start, ms: performance.now() - start });
    return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
  };

  sorted(from = -Infinity, to = Infinity): number[] {
    return this.samples.filter((s) => s.start + s.ms >= from && s.start <= to).map((s) => s.ms).sort((a, b) => a - b);
  }
}

/** Runs `fn` over the items with `concurrency` at a time; resolves when all are done. */
export async function pool<T>(items: T[], concurrency: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i]!, i);
      }
    }),
  );
}

export function newDevices(n: number, keyPem: string, timings: Timings, certificateHeader?: string): SimulatedDevice[] {
  return Array.from({ length: n }, () => new SimulatedDevice({ platform: "ios", fetch: timings.fetch, keyPem, certificateHeader, onRetry: () => timings.retries++ }));
}
