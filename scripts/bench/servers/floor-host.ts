/**
 * Target (e), the floor of the design: Hono on Node forwarding every request to one Deno process
 * over fd 3, with Corral's own codec, framing and header handling (the same functions the host
 * uses), and none of Corral's duties: no sandbox or permission flags, no request context, access
 * log, metrics, secure headers, limits, supervision or error pages. What it reaches is what a
 * process hop per request can reach on this machine; the gap from (e) to (d) is what those duties
 * cost. Usage: node --import tsx servers/floor-host.ts <port>
 */
import { spawn } from "node:child_process";
import type { Socket } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { serve } from "@hono/node-server";
import type { HttpBindings } from "@hono/node-server";
import { RESPONSE_ALREADY_SENT } from "@hono/node-server/utils/response";
import { Hono } from "hono";
import { decodePluginMessage, encodeHostMessage } from "../../../host/protocol/codec.ts";
import { flattenRequestHeaders } from "../../../host/http/forward.ts";
import { pluginHeaderList } from "../../../host/http/middleware/plugin-response.ts";
import { readBody } from "../../../host/http/read-body.ts";
import { resolveDenoBinary } from "../../../host/runtime-paths.ts";
import { FrameReader } from "../../../schemas/framing.ts";
import { FrameWriter } from "../../../schemas/frame-writer.ts";
import type { ResponseMessage } from "../../../schemas/messages.ts";

const port = Number(process.argv[2] ?? 19006);
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "../../..");

const child = spawn(resolveDenoBinary(), ["run", "--config", "deno.json", "--no-prompt", "--no-remote", join(here, "floor-runner.ts")], {
  cwd: root, stdio: ["ignore", "inherit", "inherit", "pipe"],
});
process.on("exit", () => child.kill());
child.on("exit", (code, signal) => {
  console.error(`floor-host: the runner exited (${signal ?? code})`);
  process.exit(1);
});
const socket = child.stdio[3] as Socket;
const writer = new FrameWriter((bytes) => void socket.write(bytes), setImmediate);
const reader = new FrameReader();
const waiting = new Map<number, (answer: ResponseMessage) => void>();
let nextId = 1;
socket.on("data", (chunk: Buffer) => {
  for (const bytes of reader.push(chunk)) {
    const message = decodePluginMessage(bytes);
    if (message.type !== "response") continue;
    waiting.get(message.id)?.(message);
    waiting.delete(message.id);
  }
});

const app = new Hono<{ Bindings: HttpBindings }>();
app.all("*", async (c) => {
  const { incoming, outgoing } = c.env;
  const body = await readBody(incoming, 1 << 20, "floor");
  const id = nextId++;
  const answer = await new Promise<ResponseMessage>((resolve) => {
    waiting.set(id, resolve);
    writer.push(encodeHostMessage({
      type: "request", id, method: incoming.method ?? "GET", url: incoming.url ?? "/",
      headers: flattenRequestHeaders(incoming.rawHeaders), body, remoteAddress: incoming.socket.remoteAddress ?? "",
    }), waiting.size === 1);
  });
  const headers = pluginHeaderList(answer.headers);
  headers.push("content-length", String(answer.body.byteLength));
  outgoing.writeHead(answer.status, headers);
  outgoing.end(answer.body);
  return RESPONSE_ALREADY_SENT;
});
serve({ fetch: app.fetch, port, hostname: "127.0.0.1" }, () => console.log(`listening ${port}`));
