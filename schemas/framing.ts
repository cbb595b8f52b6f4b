/**
 * Cap'n Proto stream framing: cuts a byte stream into whole messages, with hard caps.
 *
 * A framed message is: uint32 LE (segment count - 1), one uint32 LE size in 8-byte words per
 * segment, zero padding to an 8-byte boundary, then the segments. Both sides of the Corral
 * protocol read with this class; the host relies on its caps to stay safe from a hostile plugin,
 * so the declared size is checked against the cap before a single byte of the body is buffered.
 *
 * @module
 */

/** Why a byte stream was refused. The peer that sent it is ended. */
export class FramingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FramingError";
  }
}

/** Caps for {@linkcode FrameReader}. */
export interface FrameLimits {
  /** Largest whole frame (header + segments) in bytes. */
  readonly maxFrameBytes: number;
  /** Most segments in one frame; Corral's own encoders produce 1 or 2. */
  readonly maxSegments: number;
}

const EMPTY = new Uint8Array(0);

/**
 * Accumulates chunks and returns the complete frames they finish.
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
  readonly #limits: FrameLimits;
  #pending: Uint8Array = EMPTY;
  /** Bytes of the frame at the head of `#pending`, once its header has been read; -1 before. */
  #frameBytes = -1;

  constructor(limits: FrameLimits) {
    if (!(limits.maxFrameBytes >= 16) || !(limits.maxSegments >= 1)) {
      throw new RangeError(`FrameReader limits are too small: ${JSON.stringify(limits)}`);
    }
    this.#limits = limits;
  }

  /** Bytes held while waiting for the rest of a frame. */
  get bufferedBytes(): number {
    return this.#pending.byteLength;
  }

  /**
   * Adds a chunk and returns every frame now complete, in order. Each frame is a view of the
   * buffered bytes: copy it if it must outlive the next call.
   *
   * @throws {FramingError} when a header declares too many segments or too many bytes.
   */
  push(chunk: Uint8Array): Uint8Array[] {
    let data = this.#pending.byteLength === 0 ? chunk : concat(this.#pending, chunk);
    const frames: Uint8Array[] = [];
    for (;;) {
      if (this.#frameBytes < 0) {
        const size = this.#readHeader(data);
        if (size < 0) break;
        this.#frameBytes = size;
      }
      if (data.byteLength < this.#frameBytes) break;
      frames.push(data.subarray(0, this.#frameBytes));
      data = data.subarray(this.#frameBytes);
      this.#frameBytes = -1;
    }
    // Keep only the tail; copy it so a big chunk's buffer is not pinned by a few bytes.
    this.#pending = data.byteLength === 0 ? EMPTY : data.slice();
    return frames;
  }

  /** The whole frame's size once the header is complete, -1 while it is not. */
  #readHeader(data: Uint8Array): number {
    if (data.byteLength < 4) return -1;
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const segments = view.getUint32(0, true) + 1;
    if (segments > this.#limits.maxSegments) {
      throw new FramingError(
        `frame declares ${segments} segments; the limit is ${this.#limits.maxSegments}`,
      );
    }
    const headerBytes = (4 + segments * 4 + 7) & ~7;
    // Refuse as soon as the header alone is over the cap, before waiting for all of it.
    if (headerBytes > this.#limits.maxFrameBytes) {
      throw new FramingError(
        `frame header of ${headerBytes} bytes is over the ${this.#limits.maxFrameBytes}-byte cap`,
      );
    }
    if (data.byteLength < headerBytes) return -1;
    let total = headerBytes;
    for (let i = 0; i < segments; i++) {
      total += view.getUint32(4 + i * 4, true) * 8;
      if (total > this.#limits.maxFrameBytes) {
        throw new FramingError(
          `frame declares more than ${this.#limits.maxFrameBytes} bytes (the frame cap)`,
        );
      }
    }
    if (total === headerBytes) throw new FramingError("frame declares no content (all segments empty)");
    return total;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a, 0);
  out.set(b, a.byteLength);
  return out;
}
