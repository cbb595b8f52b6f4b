/**
 * The plugin process's end of fd 3, the duplex byte stream the Corral host gives every plugin.
 *
 * @module
 */

import { Socket } from "node:net";
import { setImmediate } from "node:timers";
import { FrameWriter } from "../schemas/frame-writer.ts";

/** fd 3 as the session uses it. */
export interface HostChannel {
  /** Writes bytes in order; never blocks (the socket buffers). `now`: do not wait to batch. */
  send(bytes: Uint8Array, now?: boolean): void;
  /** Calls `listener` with each chunk as it arrives. */
  onData(listener: (chunk: Uint8Array) => void): void;
  /** Flushes what was sent, then exits the process with `code`; the first code given wins. */
  exit(code: number): void;
}

/** How long `exit()` waits for the socket to flush before exiting regardless. */
const FLUSH_TIMEOUT_MS = 2_000;

/**
 * Opens fd 3, or returns `undefined` when fd 3 is not a pipe or socket — closed, a file or a
 * terminal: the runner was started by hand, not by the host. Node's `net.Socket` checks the fd's
 * type itself (`ERR_INVALID_FD_TYPE`), which needs no permission. When the host goes away (fd 3
 * ends, closes or fails) the process exits at once, with the code of a pending `exit()` or 0.
 */
export function openHostChannel(fd = 3): HostChannel | undefined {
  let socket: Socket;
  try {
    socket = new Socket({ fd, readable: true, writable: true });
  } catch (error) {
    if ((error as { code?: unknown }).code === "ERR_INVALID_FD_TYPE") return undefined;
    throw error;
  }
  let exitCode: number | undefined;
  const hostGone = () => Deno.exit(exitCode ?? 0);
  socket.on("end", hostGone).on("close", hostGone).on("error", hostGone);
  // Responses finished in the same turn go out in one write (see frame-writer.ts).
  const writer = new FrameWriter((bytes) => void socket.write(bytes), setImmediate);
  return {
    send: (bytes, now) => writer.push(bytes, now),
    onData: (listener) => void socket.on("data", listener),
    exit(code) {
      if (exitCode !== undefined) return;
      exitCode = code;
      writer.flush();
      setTimeout(hostGone, FLUSH_TIMEOUT_MS);
      socket.end(hostGone);
    },
  };
}
