/**
 * Cap'n Proto stream framing: cuts a byte stream that arrives in arbitrary chunks into whole
 * messages, with hard caps. Both sides of the Corral protocol read with this class; the host
 * relies on its caps to stay safe from a hostile plugin.
 *
 * A framed message is: uint32 LE (segment count - 1), one uint32 LE size in 8-byte words per
 * segment, zero padding to an 8-byte boundary, then the segments. The caps are checked against
 * the sizes a frame *declares*, as soon as its segment table is in, so an oversized frame is
 * refused before its body is buffered. Chunks are kept in a list and each byte is copied at most
 * once, so a 16 MiB frame in 64 KiB chunks costs one copy, not one per chunk.
 *
 * @module
 */

import { CorralError, ErrorCode } from "./errors.ts";

/** Why a byte stream was refused. The peer that sent it is ended. */
export class FramingError extends CorralError {
  constructor(message: string) {
    super(ErrorCode.PROTOCOL_VIOLATION, message);
    this.name = "FramingError";
  }
}

/** Caps for {@linkcode FrameReader}. */
export interface FrameLimits {
  /** Largest whole frame (segment table + segments) in bytes. */
  readonly maxFrameBytes: number;
  /** Most segments in one frame; Corral's own encoders produce 1 or 2. */
  readonly maxSegments: number;
}

/** 256 MiB: far above any body the host lets through, far below what would hurt a process. */
export const DEFAULT_MAX_FRAME_BYTES = 256 * 1024 * 1024;

/** Our encoders write one segment; 512 leaves room for other writers and bounds the table at 2 KiB. */
export const DEFAULT_MAX_SEGMENTS = 512;

const NONE: readonly ArrayBuffer[] = Object.freeze([]);

/**
 * Accumulates chunks and returns each complete frame as its own `ArrayBuffer` (exactly one frame),
 * which both capnp-ts and capnp-es read without another copy. After a refusal the reader stays
 * failed: the stream cannot be resynchronised.
 *
 * @example
 * ```ts
 * const reader = new FrameReader({ maxFrameBytes: 1 << 20, maxSegments: 64 });
 * socket.on("data", (chunk) => {
 *   for (const frame of reader.push(chunk)) handle(frame); // throws FramingError on a bad stream
 * });
 * ```
 */
export class FrameReader {
  readonly #maxFrameBytes: number;
  readonly #maxSegments: number;
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  /** Size of the frame being gathered, known once its segment table is complete; -1 before. */
  #frameBytes = -1;
  #failure: FramingError | undefined;

  constructor(limits: Partial<FrameLimits> = {}) {
    this.#maxFrameBytes = limits.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.#maxSegments = limits.maxSegments ?? DEFAULT_MAX_SEGMENTS;
    if (!(this.#maxFrameBytes >= 16) || !(this.#maxSegments >= 1)) {
      throw new RangeError(`FrameReader limits are too small: ${JSON.stringify(limits)}`);
    }
  }

  /** Bytes held toward the next frame. */
  get bufferedBytes(): number {
    return this.#buffered;
  }

  /**
   * Adds `chunk` (which the reader may keep: do not reuse its memory) and returns the frames it
   * completes, oldest first.
   *
   * @throws {FramingError} when a frame is over a cap or declares no content, and again on every
   * later call.
   */
  push(chunk: Uint8Array): readonly ArrayBuffer[] {
    if (this.#failure) throw this.#failure;
    if (chunk.byteLength === 0) return NONE;
    this.#chunks.push(chunk);
    this.#buffered += chunk.byteLength;
    let frames: ArrayBuffer[] | undefined;
    for (;;) {
      if (this.#frameBytes < 0) this.#frameBytes = this.#measure();
      if (this.#frameBytes < 0 || this.#buffered < this.#frameBytes) break;
      (frames ??= []).push(this.#take(this.#frameBytes));
      this.#frameBytes = -1;
    }
    return frames ?? NONE;
  }

  /** The size of the next frame from its segment table, or -1 while the table is incomplete. */
  #measure(): number {
    if (this.#buffered < 4) return -1;
    const segments = this.#peek(4).getUint32(0, true) + 1;
    if (segments > this.#maxSegments) {
      this.#fail(`a frame declares ${segments} segments, over the cap of ${this.#maxSegments}`);
    }
    const tableBytes = (4 + 4 * segments + 7) & ~7;
    if (this.#buffered < tableBytes) return -1;
    const table = this.#peek(tableBytes);
    let frameBytes = tableBytes;
    for (let i = 0; i < segments; i++) frameBytes += table.getUint32(4 + 4 * i, true) * 8;
    if (frameBytes > this.#maxFrameBytes) {
      this.#fail(`a frame declares ${frameBytes} bytes, over the cap of ${this.#maxFrameBytes} bytes`);
    }
    if (frameBytes === tableBytes) this.#fail("a frame declares no content (all segments empty)");
    return frameBytes;
  }

  /** A view of the first `n` buffered bytes, copied only when they span chunks. */
  #peek(n: number): DataView {
    const first = this.#chunks[0]!;
    if (first.byteLength >= n) return new DataView(first.buffer, first.byteOffset, n);
    const bytes = new Uint8Array(n);
    let filled = 0;
    for (const chunk of this.#chunks) {
      const part = chunk.subarray(0, n - filled);
      bytes.set(part, filled);
      filled += part.byteLength;
      if (filled === n) break;
    }
    return new DataView(bytes.buffer);
  }

  /** Removes the first `n` buffered bytes and returns them as an ArrayBuffer of their own. */
  #take(n: number): ArrayBuffer {
    this.#buffered -= n;
    const first = this.#chunks[0]!;
    // Zero copy when a chunk is exactly one frame and owns its whole buffer.
    if (
      first.byteLength === n && first.byteOffset === 0 && first.buffer.byteLength === n &&
      first.buffer instanceof ArrayBuffer
    ) {
      this.#chunks.shift();
      return first.buffer;
    }
    const frame = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.#chunks[0]!;
      const wanted = n - filled;
      if (chunk.byteLength <= wanted) {
        frame.set(chunk, filled);
        filled += chunk.byteLength;
        this.#chunks.shift();
      } else {
        frame.set(chunk.subarray(0, wanted), filled);
        filled = n;
        this.#chunks[0] = chunk.subarray(wanted);
      }
    }
    return frame.buffer;
  }

  #fail(message: string): never {
    this.#chunks = [];
    this.#buffered = 0;
    this.#failure = new FramingError(`${message}; the stream cannot be read further`);
    throw this.#failure;
  }
}
