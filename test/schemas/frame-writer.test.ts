// The frame writer: frames of one turn go out in one write, in order; `now` skips the wait.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { FrameWriter } from "../../schemas/frame-writer.ts";

function harness() {
  const writes: number[][] = [];
  const scheduled: Array<() => void> = [];
  const writer = new FrameWriter((bytes) => writes.push([...bytes]), (flush) => scheduled.push(flush));
  return { writer, writes, runScheduled: () => scheduled.splice(0).forEach((f) => f()) };
}

test("frames pushed in one turn are written once, concatenated in order", () => {
  const { writer, writes, runScheduled } = harness();
  writer.push(new Uint8Array([1, 2]));
  writer.push(new Uint8Array([3]));
  writer.push(new Uint8Array([4, 5]));
  assert.equal(writes, [], "nothing is written before the scheduled flush");
  runScheduled();
  assert.equal(writes, [[1, 2, 3, 4, 5]]);
});

test("a lone frame is written as is", () => {
  const { writer, writes, runScheduled } = harness();
  writer.push(new Uint8Array([9]));
  runScheduled();
  assert.equal(writes, [[9]]);
});

test("`now` writes at once, after whatever was queued", () => {
  const { writer, writes, runScheduled } = harness();
  writer.push(new Uint8Array([7]), true);
  assert.equal(writes, [[7]]);
  writer.push(new Uint8Array([1]));
  writer.push(new Uint8Array([2]), true);
  assert.equal(writes, [[7], [1, 2]]);
  runScheduled();
  assert.equal(writes, [[7], [1, 2]], "the pending flush has nothing left to write");
});

test.run();
