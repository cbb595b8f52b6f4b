/**
 * Raw HTTP/1.1 requests for tests that must control every header (Cookie, Origin, Host,
 * Accept-Encoding) and see the body exactly as sent, without fetch()'s decompression.
 */
import { request } from "node:http";
import type { IncomingHttpHeaders } from "node:http";

export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The body as it came over the wire (still compressed, if it was). */
  readonly body: Buffer;
  /** The body as UTF-8 text. */
  readonly text: string;
}

export interface RawRequest {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Uint8Array;
  /** The local address to connect from, e.g. "127.0.0.2" (all of 127.0.0.0/8 is this machine): another client. */
  readonly localAddress?: string;
}

/** Sends one request and reads the whole answer. */
export function send(url: string, options: RawRequest = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const from = options.localAddress === undefined ? {} : { localAddress: options.localAddress };
    const req = request(url, { method: options.method ?? "GET", headers: options.headers ?? {}, ...from }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString("utf8") });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

/** The JSON body of a raw answer. */
export function json<T>(response: RawResponse): T {
  return JSON.parse(response.text) as T;
}
