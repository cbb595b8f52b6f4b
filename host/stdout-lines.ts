/**
 * Log lines to stdout, one write per event-loop turn instead of one per line: stdout to a pipe
 * or file is a synchronous write(2) in Node, and with one access record per request the host
 * would make a system call per request on its busiest thread.
 */
import { writeSync } from "node:fs";

let pending: string[] = [];
let scheduled = false;

function flush(): void {
  scheduled = false;
  if (pending.length === 0) return;
  const text = pending.join("\n") + "\n";
  pending = [];
  process.stdout.write(text);
}

// Lines of the last turn must not be lost when the process exits (process.exit, a fatal error).
process.on("exit", () => {
  if (pending.length === 0) return;
  const text = pending.join("\n") + "\n";
  pending = [];
  writeSync(process.stdout.fd, text);
});

/** Queues one line (without its "\n") for stdout; it is written before the next turn of the event loop. */
export function writeStdoutLine(line: string): void {
  pending.push(line);
  if (!scheduled) {
    scheduled = true;
    setImmediate(flush);
  }
}
