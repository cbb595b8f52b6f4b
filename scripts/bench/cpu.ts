/** CPU time and memory of a process and all its live descendants, from /proc (Linux), for per-request costs. */
import { readdirSync, readFileSync } from "node:fs";

/** Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

interface ProcStat { readonly ppid: number; readonly ticks: number }

/** Every process's parent and CPU ticks (user + system, USER_HZ), by pid. */
export function cpuTicksByPid(): Map<number, ProcStat> {
  const stats = new Map<number, ProcStat>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // The command name may hold spaces and parentheses: the fields start after the last ")".
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      stats.set(Number(entry), { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) });
    } catch { /* the process ended meanwhile */ }
  }
  return stats;
}

/** `pid` and every live process below it (no cap: a host with 50 plugins has well over 100). */
export function treePids(pid: number, stats = cpuTicksByPid()): number[] {
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const current = queue.pop()!;
    if (!stats.has(current)) continue;
    out.push(current);
    for (const [child, stat] of stats) if (stat.ppid === current) queue.push(child);
  }
  return out;
}

/** Milliseconds of CPU (user + system) used so far by `pid` and every live process below it. */
export function treeCpuMs(pid: number): number {
  const stats = cpuTicksByPid();
  let ticks = 0;
  for (const p of treePids(pid, stats)) ticks += stats.get(p)!.ticks;
  return (ticks * 1000) / TICKS_PER_SECOND;
}

/** VmRSS of one process in bytes (0 when it is gone). */
export function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m === null ? 0 : Number(m[1]) * 1024;
  } catch {
    return 0;
  }
}

/** Summed VmRSS of `pid` and its descendants (shared pages count once per process, as `ps` does). */
export function treeRssBytes(pid: number): number {
  let total = 0;
  for (const p of treePids(pid)) total += rssBytes(p);
  return total;
}
