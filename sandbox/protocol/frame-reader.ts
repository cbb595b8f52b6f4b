/**
 * Cuts Cap'n Proto stream-framed messages out of a byte stream that arrives in arbitrary chunks.
 *
 * @module
 */

import { CorralError, ErrorCode } from "../../schemas/errors.ts";

/** Caps for {@linkcode FrameReader}. */
export interface FrameReaderOptions {
  /** The largest frame accepted, segment table included. Default {@linkcode DEFAULT_MAX_FRAME_BYTES}. */
  readonly maxFrameBytes?: number;
  /** The most segments a frame may declare. Default {@linkcode DEFAULT_MAX_SEGMENTS}. */
  readonly maxSegments?: number;
}

/** 256 MiB: far above any body the host lets through, far below what would hurt the process. */
export const DEFAULT_MAX_FRAME_BYTES = 256 * 1024 * 1024;

/** Our encoders write one segment; 512 leaves room for other writers and bounds the table at 2 KiB. */
export const DEFAULT_MAX_SEGMENTS = 512;

const NONE: readonly ArrayBuffer[] = Object.freeze([]);

/**
 * Accumulates chunks and returns each complete frame as its own `ArrayBuffer` (exactly one frame:
 * segment table, then segments). Framing is `uint32 LE (segmentCount - 1)`, `segmentCount` ×
 * `uint32 LE` segment sizes in 8-byte words, padding to 8 bytes, then the segments.
 *
 * The caps are checked against the sizes a frame *declares*, as soon as its segment table is in,
 * so an oversized frame is refused before its body is buffered. After a refusal the reader stays
 * failed: the stream cannot be resynchronised.
 */
export class FrameReader {
  readonly #maxFrameBytes: number;
  readonly #maxSegments: number;
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  /** Size of the frame being gathered, known once its segment table is complete; -1 before. */
  #frameBytes = -1;
  #failure: CorralError | undefined;

  constructor(options: FrameReaderOptions = {}) {
    this.#maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.#maxSegments = options.maxSegments ?? DEFAULT_MAX_SEGMENTS;
  }

  /** Bytes held toward the next frame. */
  get buffered(): number {
    return this.#buffered;
  }

  /**
   * Adds `chunk` (which the reader may keep: do not reuse its memory) and returns the frames it
   * completes, oldest first. Throws a `CorralError` `CORRAL_E_PROTOCOL_VIOLATION` when a frame is
   * over a cap, and again on every later call.
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
    return frameBytes;
  }

  /** A view of the first `n` buffered bytes, copied only when they span chunks. */
  #peek(n: number): DataView {
    const first = this.#chunks[0];
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
    const first = this.#chunks[0];
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
      const chunk = this.#chunks[0];
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
    this.#failure = new CorralError(ErrorCode.PROTOCOL_VIOLATION, `${message}; the stream cannot be read further`);
    throw this.#failure;
  }
}
