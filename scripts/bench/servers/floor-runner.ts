/**
 * The plugin side of target (e), the floor: the bench app answering Corral's `request` frames on
 * fd 3 with Corral's own codec, framing and request building, and nothing else (no session, no
 * SDK, no context, no limits). Started by servers/floor-host.ts only.
 */
import { openHostChannel } from "../../../sandbox/host-channel.ts";
import { toRequest } from "../../../sandbox/http-bridge.ts";
import { decodeFrame, encodeFrame } from "../../../sandbox/protocol/codec.ts";
import { encodeHeaders } from "../../../sandbox/protocol/headers.ts";
import type { RequestMessage } from "../../../schemas/messages.ts";
import { FrameReader } from "../../../schemas/framing.ts";
import { benchApp } from "../app.ts";

const app = benchApp();
const channel = openHostChannel();
if (channel === undefined) throw new Error("floor-runner: started without fd 3; run servers/floor-host.ts");
const reader = new FrameReader();
let answering = 0;

async function answer(request: RequestMessage): Promise<void> {
  answering++;
  const response = await app.fetch(toRequest(request));
  const body = new Uint8Array(await response.arrayBuffer());
  answering--;
  // Like the runner: a lone answer goes out at once, answers finished together share a write.
  channel!.send(encodeFrame({ type: "response", id: request.id, status: response.status, headers: encodeHeaders(response.headers), body }), answering === 0);
}

channel.onData((chunk) => {
  for (const bytes of reader.push(chunk)) {
    const frame = decodeFrame(bytes);
    if (frame.type === "request") void answer(frame);
  }
});
