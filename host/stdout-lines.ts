/**
 * Log lines to stdout, one write per {@linkcode FLUSH_MS} (or per 64 KiB) instead of one per
 * line: stdout to a pipe or file is a synchronous write(2) in Node, and with one access record
 * per request the host made a system call per request on its busiest thread. Flushing once per
 * event-loop turn still did at low concurrency (one request per turn): ~14 µs of the host's CPU
 * per request at one connection (D29-perf). Lines reach stdout at most 10 ms late; on exit they
 * are written at once.
 */
import { writeSync } from "node:fs";

/** The longest a line waits in memory. */
export const FLUSH_MS = 10;
/** Queued text that is written at once, without waiting for the timer. */
const FLUSH_BYTES = 64 * 1024;

let pending: string[] = [];
let pendingBytes = 0;
let timer: NodeJS.Timeout | undefined;

function flush(): void {
  if (timer !== undefined) clearTimeout(timer);
  timer = undefined;
  pendingBytes = 0;
  if (pending.length === 0) return;
  const text = pending.join("\n") + "\n";
  pending = [];
  process.stdout.write(text);
}

// Lines of the last turn must not be lost when the process exits (process.exit, a fatal error).
process.on("exit", () => {
  if (timer !== undefined) clearTimeout(timer);
  if (pending.length === 0) return;
  const text = pending.join("\n") + "\n";
  pending = [];
  writeSync(process.stdout.fd, text);
});

/** Queues one line (without its "\n") for stdout; it is written within {@linkcode FLUSH_MS}. */
export function writeStdoutLine(line: string): void {
  pending.push(line);
  pendingBytes += line.length + 1;
  if (pendingBytes >= FLUSH_BYTES) {
    flush();
  } else if (timer === undefined) {
    // Unref'd: a host with nothing else to do exits, and the exit handler writes what is left.
    timer = setTimeout(flush, FLUSH_MS).unref();
  }
}
