/**
 * `node --import tsx scripts/bench/bookkeeping.ts`: the micro-benchmarks behind D29-perf's steps,
 * each against the way it was done before (kept here, inline, for the comparison):
 *  - one question to a plugin (request/call/migrate): a setTimeout, closures and a Map entry per
 *    question, against host/protocol/questions.ts (one timer per process);
 *  - one sample of a process tree's /proc files: async readFile (thread pool) against
 *    host/process-tree.ts (readFileSync), on this process's own tree.
 */
import { readFile } from "node:fs/promises";
import { Deadlines, Question, Questions } from "../../host/protocol/questions.ts";
import { sampleTree } from "../../host/process-tree.ts";

const QUESTIONS = 300_000;
const IN_FLIGHT = 50;

function timerPerQuestion(): number {
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: unknown): void }>();
  const ids: number[] = [];
  const started = performance.now();
  for (let id = 1; id <= QUESTIONS; id++) {
    void new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error("timeout"));
      }, 30_000);
      pending.set(id, {
        resolve: (value) => { clearTimeout(timer); resolve(value); },
        reject: (error) => { clearTimeout(timer); reject(error); },
      });
    });
    ids.push(id);
    if (ids.length > IN_FLIGHT) {
      const done = ids.shift()!;
      const question = pending.get(done)!;
      pending.delete(done);
      question.resolve(1);
    }
  }
  for (const done of ids) pending.get(done)!.resolve(1);
  return ((performance.now() - started) * 1000) / QUESTIONS;
}

function oneTimerPerProcess(): number {
  const pending = new Questions<unknown>();
  const deadlines = new Deadlines((now) => pending.expireDue(now, () => {}));
  const ids: number[] = [];
  const started = performance.now();
  for (let id = 1; id <= QUESTIONS; id++) {
    const deadline = performance.now() + 30_000;
    void new Promise((resolve, reject) => pending.set(id, new Question(resolve, reject, deadline, "CORRAL_E_REQUEST_TIMEOUT", "x")));
    deadlines.due(deadline);
    ids.push(id);
    if (ids.length > IN_FLIGHT) pending.take(ids.shift()!)!.resolve(1);
  }
  for (const done of ids) pending.take(done)!.resolve(1);
  deadlines.stop();
  return ((performance.now() - started) * 1000) / QUESTIONS;
}

async function asyncSample(pid: number): Promise<void> {
  const read = (file: string) => readFile(`/proc/${pid}/${file}`, "utf8").catch(() => null);
  await read("stat");
  await read(`task/${pid}/children`);
  await Promise.all([read("status"), read("stat"), read("io")]);
}

async function cpuPerCall(run: () => Promise<unknown>, calls: number): Promise<number> {
  for (let i = 0; i < 100; i++) await run();
  const before = process.cpuUsage();
  for (let i = 0; i < calls; i++) await run();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / calls;
}

for (let round = 1; round <= 3; round++) {
  console.log(`round ${round}: a question: setTimeout per question ${timerPerQuestion().toFixed(3)} µs, ` +
    `one timer per process ${oneTimerPerProcess().toFixed(3)} µs`);
}
const pid = process.pid;
console.log(`a /proc sample of one process (CPU of all threads): async readFile ${(await cpuPerCall(() => asyncSample(pid), 2000)).toFixed(1)} µs, ` +
  `readFileSync ${(await cpuPerCall(() => sampleTree(pid), 2000)).toFixed(1)} µs`);
