import { describe, expect, it } from "vitest";
import { cachedFor } from "@/lib/cache/ttl";

describe("cachedFor", () => {
  it("loads once within its time, again after, and shares a load in flight", async () => {
    let loads = 0;
    const load = async () => ++loads;
    const [a, b] = await Promise.all([cachedFor("k1", 1000, load, 0), cachedFor("k1", 1000, load, 10)]);
    expect([a, b, loads]).toEqual([1, 1, 1]);
    expect(await cachedFor("k1", 1000, load, 999)).toBe(1);
    expect(await cachedFor("k1", 1000, load, 1000)).toBe(2);
  });

  it("does not keep a failed load", async () => {
    await expect(cachedFor("k2", 1000, async () => { throw new Error("down"); }, 0)).rejects.toThrow("down");
    await new Promise((r) => setTimeout(r, 0));
    expect(await cachedFor("k2", 1000, async () => "up", 1)).toBe("up");
  });

  it("keeps only what `keep` accepts: small counts are read again, large ones kept", async () => {
    let loads = 0;
    const small = async () => (++loads, 5);
    const keepLarge = (n: number) => n >= 10_000;
    expect(await cachedFor("k3", 1000, small, 0, keepLarge)).toBe(5);
    expect(await cachedFor("k3", 1000, small, 1, keepLarge)).toBe(5);
    expect(loads).toBe(2);
    const large = async () => (++loads, 20_000);
    expect(await cachedFor("k4", 1000, large, 0, keepLarge)).toBe(20_000);
    expect(await cachedFor("k4", 1000, large, 1, keepLarge)).toBe(20_000);
    expect(loads).toBe(3);
  });
});
