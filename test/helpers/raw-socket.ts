/**
 * Raw HTTP/1.1 over node:net, for inputs no HTTP client will send (conflicting framing headers,
 * bare LF, obs-fold, absolute-form and `*` targets): writes the bytes, half-closes, and collects
 * everything the server sends until it closes the connection.
 */
import { connect } from "node:net";

export interface RawExchange {
  /** Everything received, as latin1 text (byte for byte). */
  readonly text: string;
  /** The status codes of the responses, in order. */
  readonly statuses: number[];
}

/** Sends `bytes` to the server at `url` (its host and port only) and reads until it closes. */
export function rawExchange(url: string, bytes: string | Uint8Array, timeoutMs = 5000): Promise<RawExchange> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server did not close the connection within ${timeoutMs} ms; got: ${Buffer.concat(chunks).toString("latin1").slice(0, 500)}`));
    }, timeoutMs);
    socket.on("connect", () => socket.write(typeof bytes === "string" ? Buffer.from(bytes, "latin1") : bytes));
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", () => {}); // a reset after the answer is how some refusals end
    socket.on("close", () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString("latin1");
      // Responses follow each other with no separator after a body: find every status line.
      const statuses = [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
      resolve({ text, statuses });
    });
  });
}
