import { readdirSync, readFileSync } from "node:fs";

// CPU seconds spent by processes, read from /proc (Linux), so a benchmark can say where a
// machine's cores went: the server, PostgreSQL, or the load generator itself.

const TICKS = 100; // USER_HZ: 100 on Linux for every architecture /proc reports in

function stat(pid: number): { comm: string; seconds: number } | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    const close = s.lastIndexOf(")");
    const fields = s.slice(close + 2).split(" "); // fields from the 3rd (state) on
    return { comm: s.slice(s.indexOf("(") + 1, close), seconds: (Number(fields[11]) + Number(fields[12])) / TICKS };
  } catch {
    return null; // gone meanwhile
  }
}

/** CPU seconds of the given processes (user + system). */
export function cpuOf(pids: number[]): number {
  return pids.reduce((sum, pid) => sum + (stat(pid)?.seconds ?? 0), 0);
}

/** CPU seconds of every running process whose name is `comm` (e.g. every PostgreSQL backend). */
export function cpuOfName(comm: string): number {
  let sum = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const s = stat(Number(entry));
    if (s?.comm === comm) sum += s.seconds;
  }
  return sum;
}

/** This process's own CPU seconds. */
export function cpuOfSelf(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
