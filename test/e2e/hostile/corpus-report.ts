/**
 * The hostile corpus's report: one line per case (attack, what the host did, time to contain),
 * printed at the end of the run and, with CORRAL_HOSTILE_REPORT=<file>, written into that file
 * between the `corpus:begin` and `corpus:end` markers (docs/hostile-corpus.md).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";

export interface CaseReport {
  /** What the plugin tried. */
  readonly attack: string;
  /** The fixture that tried it. */
  readonly plugin: string;
  /** What stopped it: Deno's permission, the namespace, a limit, a protocol check... */
  readonly outcome: string;
  /** From the attack's start to the host answering the client with the error, or to the process being gone. */
  readonly containMs: number | null;
  /** What `containMs` measures. */
  readonly until: "answer" | "process gone" | "marked failed" | "refused at start";
}

const reports: CaseReport[] = [];
let published = false;

export function record(report: CaseReport): void {
  reports.push(report);
}

/**
 * Turns a Deno error into what stopped the attack, without the test's temporary paths:
 * `NotCapable: Requires read access to "/tmp/x"…` becomes `Deno permission: no read access`.
 */
export function whatStopped(error: string | undefined): string {
  if (error === undefined) return "(no error)";
  const permission = /Requires ([a-z]+) access/.exec(error);
  if (permission) return `Deno permission: no ${permission[1]} access (${error.split(":")[0]})`;
  if (/EPERM/.test(error)) return `Deno permission: refused (${error.replace(/^\w+: /, "").slice(0, 60)})`;
  if (/Module not found|No such file|NotFound/.test(error)) return `not in the mount namespace (${error.split(":")[0]}: not found)`;
  if (/--no-remote|remote/i.test(error)) return `--no-remote (${error.split(":")[0]})`;
  return error.replace(/\/tmp\/[^\s"']+/g, "<tmp>").slice(0, 100);
}

function table(): string {
  const lines = [
    "| Attack | Fixture | What the host did | Contained in | Measured until |",
    "|--------|---------|-------------------|-------------:|----------------|",
  ];
  for (const r of reports) {
    const ms = r.containMs === null ? "—" : `${Math.round(r.containMs)} ms`;
    lines.push(`| ${r.attack} | \`${r.plugin}\` | ${r.outcome.replace(/\|/g, "\\|")} | ${ms} | ${r.until} |`);
  }
  return lines.join("\n");
}

/** Prints the report and, when asked, writes it into the doc between the markers. */
export function publish(): void {
  if (reports.length === 0 || published) return;
  published = true;
  console.log(`\nhostile corpus: ${reports.length} attacks, each contained`);
  for (const r of reports) {
    const ms = r.containMs === null ? "-" : `${Math.round(r.containMs)} ms`;
    console.log(`  ${r.attack.padEnd(58)} ${ms.padStart(8)}  ${r.outcome}`);
  }
  const file = process.env.CORRAL_HOSTILE_REPORT;
  if (file === undefined || file === "") return;
  const doc = readFileSync(file, "utf8");
  const begin = doc.indexOf("<!-- corpus:begin -->");
  const end = doc.indexOf("<!-- corpus:end -->");
  if (begin < 0 || end < begin) throw new Error(`${file}: expected the markers <!-- corpus:begin --> and <!-- corpus:end -->`);
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}, ${Math.round(totalmem() / 2 ** 30)} GiB, ` +
    `Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`;
  const body = `<!-- corpus:begin -->\nLast run: ${machine}.\n\n${table()}\n`;
  writeFileSync(file, doc.slice(0, begin) + body + doc.slice(end));
  console.log(`hostile corpus: wrote the table to ${file}`);
}
