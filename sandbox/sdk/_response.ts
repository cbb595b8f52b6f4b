/**
 * Reads a plugin's response into memory, refusing bodies over the host's size limit.
 *
 * @module
 */

import { ErrorCode } from "../../schemas/errors.ts";
import { concatBytes } from "../../schemas/concat-bytes.ts";

/** A response whose body has been read in full. */
export interface BufferedResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Uint8Array<ArrayBuffer>;
  /** True when the plugin's body was over the limit and this is the 502 that replaces it. */
  readonly tooLarge: boolean;
}

const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();

/**
 * Reads `response`'s body, at most `maxBodyBytes` of it. A body over the limit is cancelled as
 * soon as it crosses it (so a runaway body never sits in memory) and replaced by a 502 with a
 * JSON `{ error: { code: "CORRAL_E_RESPONSE_TOO_LARGE", message } }`; `what` names the request in
 * that message, e.g. `plugin "hello" answering GET /big` (a function: only called for that message).
 */
export async function bufferResponse(
  response: Response,
  maxBodyBytes: number,
  what: () => string,
): Promise<BufferedResponse> {
  const { status, headers } = response;
  if (response.body === null) return { status, headers, body: EMPTY, tooLarge: false };
  const declared = Number(headers.get("content-length") ?? NaN);
  const body = declared > maxBodyBytes ? undefined : await readCapped(response.body, maxBodyBytes);
  if (body !== undefined) return { status, headers, body, tooLarge: false };
  if (declared > maxBodyBytes) await response.body.cancel().catch(() => {});
  return tooLarge(maxBodyBytes, what());
}

async function readCapped(
  stream: ReadableStream<Uint8Array<ArrayBuffer>>,
  max: number,
): Promise<Uint8Array<ArrayBuffer> | undefined> {
  const reader = stream.getReader();
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.byteLength;
    if (length > max) {
      await reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
  return chunks.length === 1 ? chunks[0] : concatBytes(chunks, length);
}

function tooLarge(maxBodyBytes: number, what: string): BufferedResponse {
  const message = `The response body of ${what} is over the host's limit of ${maxBodyBytes} bytes; ` +
    "send less (paginate, or link to a download); the limit is the host policy's limits.maxBodyBytes.";
  const json = JSON.stringify({ error: { code: ErrorCode.RESPONSE_TOO_LARGE, message } });
  return {
    status: 502,
    headers: new Headers({ "content-type": "application/json; charset=UTF-8" }),
    body: encoder.encode(json),
    tooLarge: true,
  };
}
