/** Tests for the batched stdout writer: lines keep their order and none is lost at exit. */
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";

const MODULE = resolve(import.meta.dirname, "../../host/stdout-lines.ts");

function run(script: string): string {
  const result = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8" });
  assert.is(result.status, 0, result.stderr);
  return result.stdout;
}

test("lines come out in order, one per line, after the turn that queued them", () => {
  const out = run(`
    import { writeStdoutLine } from ${JSON.stringify(MODULE)};
    writeStdoutLine("one"); writeStdoutLine("two");
    process.stdout.write("direct\\n");
    setTimeout(() => writeStdoutLine("three"), 10);
  `);
  assert.is(out, "direct\none\ntwo\nthree\n");
});

test("lines queued just before process.exit() are not lost", () => {
  const out = run(`
    import { writeStdoutLine } from ${JSON.stringify(MODULE)};
    for (let i = 0; i < 1000; i++) writeStdoutLine("line " + i);
    process.exit(0);
  `);
  const lines = out.trimEnd().split("\n");
  assert.is(lines.length, 1000);
  assert.is(lines[999], "line 999");
});

test.run();
