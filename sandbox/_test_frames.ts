/** Test support shared by the session suites: waiting for a frame the session sent. @module */

import type { Frame } from "./protocol/codec.ts";

/** Waits (up to 2 s) until `sent` holds a frame matching `matches`, and returns it. */
export async function waitForFrame(sent: readonly Frame[], matches: (frame: Frame) => boolean): Promise<Frame> {
  for (let waited = 0; waited < 2000; waited += 5) {
    const frame = sent.find(matches);
    if (frame) return frame;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`no such frame; sent: ${JSON.stringify(sent.map((f) => f.type + ":" + f.id))}`);
}
