/**
 * Reads a request body from Node's IncomingMessage with a hard byte limit, refusing early on a
 * Content-Length that is already too big.
 */
import type { IncomingMessage } from "node:http";
import { CorralError, ErrorCode } from "../../schemas/errors.ts";

/** The body of a request that has none; never written to. */
export const EMPTY_BODY = new Uint8Array(0);

/** True when the request announces no body: neither Content-Length nor Transfer-Encoding. */
export function hasNoBody(incoming: IncomingMessage): boolean {
  return incoming.headers["content-length"] === undefined && incoming.headers["transfer-encoding"] === undefined;
}

/**
 * The whole body, or a BODY_TOO_LARGE error as soon as it passes `limit` bytes.
 * GET-style requests with neither Content-Length nor Transfer-Encoding cost nothing.
 */
export function readBody(incoming: IncomingMessage, limit: number, pluginName: string): Promise<Uint8Array> {
  if (hasNoBody(incoming)) return Promise.resolve(EMPTY_BODY);
  const declared = incoming.headers["content-length"];
  const tooLarge = () => new CorralError(ErrorCode.BODY_TOO_LARGE,
    `the request body is over the ${limit}-byte limit of plugin "${pluginName}" (limits.maxBodyBytes)`);
  if (declared !== undefined && Number(declared) > limit) {
    incoming.resume();
    return Promise.reject(tooLarge());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > limit) {
        incoming.off("data", onData);
        incoming.resume();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    incoming.on("data", onData);
    incoming.once("end", () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    incoming.once("error", (error) => reject(new CorralError(ErrorCode.REQUEST_ABORTED,
      `the request body could not be read: ${error.message}`)));
  });
}
