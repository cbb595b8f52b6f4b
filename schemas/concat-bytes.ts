/**
 * Byte arrays one after another in one new array: frames batched into one write, or test and
 * fuzz streams built from frames.
 *
 * @module
 */

/** `parts` joined in order; `size`, their total length, when the caller already keeps it. */
export function concatBytes(parts: readonly Uint8Array[], size = totalBytes(parts)): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

function totalBytes(parts: readonly Uint8Array[]): number {
  let size = 0;
  for (const part of parts) size += part.byteLength;
  return size;
}
