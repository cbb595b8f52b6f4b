/** The byte bar of uploads and downloads: drawn on a terminal only, so logs and scripts stay clean. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { CliContext } from "../../../host/cli/cli.ts";
import { transferProgress } from "../../../host/cli/options.ts";

function context(isTTY: boolean): { context: CliContext; written: string[] } {
  const written: string[] = [];
  const stream = { isTTY, write: (s: string) => (written.push(s), true) } as unknown as NodeJS.WritableStream;
  return { context: { stdout: stream, stderr: stream, env: {}, cwd: "/", signal: new AbortController().signal }, written };
}

test("on a terminal: a bar redrawn in place with KiB done and total, then a newline", () => {
  const { context: c, written } = context(true);
  const bar = transferProgress(c, "downloading notes@1.2.0");
  bar.update(64 * 1024, 128 * 1024);
  bar.update(128 * 1024, 128 * 1024);
  bar.done();
  assert.is(written.length, 3);
  assert.is(written[0], "\r\u001b[2Kdownloading notes@1.2.0 [############            ] 64 KiB / 128 KiB");
  assert.is(written[1], "\r\u001b[2Kdownloading notes@1.2.0 [########################] 128 KiB / 128 KiB");
  assert.is(written[2], "\n");
});

test("off a terminal, or quiet (--json): nothing at all", () => {
  for (const [tty, quiet] of [[false, false], [true, true]] as const) {
    const { context: c, written } = context(tty);
    const bar = transferProgress(c, "publishing", quiet);
    bar.update(10, 20);
    bar.done();
    assert.equal(written, []);
  }
});

test("an unknown size shows the bytes so far", () => {
  const { context: c, written } = context(true);
  transferProgress(c, "downloading").update(2048, null);
  assert.is(written[0], "\r\u001b[2Kdownloading [                        ] 2 KiB");
});

test.run();
