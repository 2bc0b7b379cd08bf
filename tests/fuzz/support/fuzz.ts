import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";

// Seeded, reproducible fuzzing: every case draws from its own PRNG, seeded by (run seed, target,
// case index), so one failing case reruns alone with FUZZ_SEED=<seed> FUZZ_CASE=<index>.
// FUZZ_FULL=1 (npm run fuzz) runs FULL_CASES per target; `npm test` runs the fast subset.

export const FULL_CASES = 10_000;
export const SEED = process.env.FUZZ_SEED ?? "mamori-13";
export const FULL = process.env.FUZZ_FULL === "1";
const ONLY = process.env.FUZZ_CASE === undefined ? null : Number(process.env.FUZZ_CASE);

/** How many cases a target runs: `fast` in the normal test run, FULL_CASES (or FUZZ_CASES) with FUZZ_FULL=1. */
export function caseCount(fast: number): number {
  if (FULL) return Number(process.env.FUZZ_CASES) || FULL_CASES;
  return fast;
}

/** A vitest timeout that grows with the case count: `msPerCase` is generous for the slowest case. */
export function timeoutFor(fast: number, msPerCase: number): number {
  return Math.max(30_000, caseCount(fast) * msPerCase);
}

/** sfc32: small, fast, good enough for fuzzing, and the same on every machine. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  constructor(seed: string) {
    const h = createHash("sha256").update(seed).digest();
    [this.a, this.b, this.c, this.d] = [h.readUInt32LE(0), h.readUInt32LE(4), h.readUInt32LE(8), h.readUInt32LE(12)];
    for (let i = 0; i < 12; i++) this.next();
  }
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** An integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
}

/** Record the case's input: with FUZZ_TRACE set it is written next to the trace (FUZZ_TRACE.input). */
export function traceInput(b: Buffer): void {
  if (process.env.FUZZ_TRACE) writeFileSync(`${process.env.FUZZ_TRACE}.input`, b);
}

/** What one case did, for the failure message. */
export interface Outcome {
  ok: boolean;
  /** Why the case failed (a 5xx, a 401, a TypeError, state that changed). */
  why?: string;
}

export interface RunResult {
  target: string;
  cases: number;
  failures: string[];
  /** Answers by kind (e.g. "400 mdm.invalidMessage"), to see that the fuzzer reaches deep. */
  answers: Map<string, number>;
}

/**
 * Runs `count` cases of one target. `one` gets the case's PRNG and returns the answer's kind and
 * whether it was acceptable. Failures are collected (the first few in full) with the seed and
 * index that reproduce them; the caller asserts there were none.
 */
export async function fuzz(
  target: string,
  count: number,
  one: (rng: Rng, index: number) => Promise<{ kind: string } & Outcome>,
): Promise<RunResult> {
  const result: RunResult = { target, cases: 0, failures: [], answers: new Map() };
  const indexes = ONLY === null ? Array.from({ length: count }, (_, i) => i) : [ONLY];
  for (const i of indexes) {
    let kind: string;
    let why: string | undefined;
    // FUZZ_TRACE=<file>: the case under way, to find one that hangs.
    if (process.env.FUZZ_TRACE) writeFileSync(process.env.FUZZ_TRACE, `${target} ${i}\n`);
    try {
      const o = await one(new Rng(`${SEED}/${target}/${i}`), i);
      kind = o.kind;
      if (!o.ok) why = o.why ?? kind;
    } catch (e) {
      kind = "threw";
      why = `threw ${e instanceof Error ? `${e.name}: ${e.message}\n${e.stack?.split("\n").slice(1, 4).join("\n")}` : String(e)}`;
    }
    result.cases++;
    result.answers.set(kind, (result.answers.get(kind) ?? 0) + 1);
    if (why && result.failures.length < 20) result.failures.push(`FUZZ_SEED=${SEED} FUZZ_CASE=${i} (${target}): ${why}`);
  }
  if (process.env.FUZZ_VERBOSE || FULL) {
    const kinds = [...result.answers].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([k, n]) => `${n}× ${k}`);
    console.log(`fuzz ${target}: ${result.cases} cases, ${result.failures.length} failing; ${kinds.join(", ")}`);
  }
  return result;
}
