/**
 * Hand-written Cap'n Proto codec for the two frames every HTTP request crosses, in both
 * directions: `request` (host encodes, plugin decodes) and `response` (plugin encodes, host
 * decodes). The generic accessors of capnp-es cost ~13 µs each way for a typical request and
 * capnp-ts ~10 µs; these read and write the known layout directly. Same wire format: any Cap'n
 * Proto reader decodes what they write.
 *
 * The decoders handle the layout Cap'n Proto writers produce for these messages (one segment, no
 * far pointers) and decline anything else by returning `undefined`, which then goes through the
 * generic codec (capnp-ts in the host, capnp-es in the sandbox). Tests pin them to both libraries:
 * sandbox/protocol/codec_test.ts (Deno, capnp-es) and test/schemas/fast-path.test.ts (Node, capnp-ts),
 * including mutated frames.
 *
 * @module
 */

import type { RequestMessage, ResponseMessage } from "./messages.ts";

const WHICH_REQUEST = 4;
const WHICH_RESPONSE = 5;
/** List pointer element size "byte" (Text and Data). */
const BYTE_ELEMENTS = 2;
const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

const words = (bytes: number) => (bytes + 7) & ~7;

/**
 * Encodes a `response` frame. The layout is the one capnp-es writes, in its allocation order:
 *
 * ```
 * bytes 0-7    segment table: 1 segment of N words
 * segment word 0  root pointer -> Frame (1 data word, 1 pointer)
 *         1  Frame data: id (u32), union tag 5 = response (u16)
 *         2  Frame pointer -> HttpResponse (1 data word, 2 pointers)
 *         3  HttpResponse data: status (u16), bodyStreamed (bit 16) = false
 *         4  headers: Text (byte list, NUL-terminated)
 *         5  body: Data (byte list), null when empty
 *         6… headers bytes, then body bytes, each padded to a word
 * ```
 */
export function encodeResponseFast(id: number, status: number, headers: string, body: Uint8Array): Uint8Array {
  const textAt = 8 + 6 * 8;
  // UTF-8 takes at most 3 bytes per UTF-16 unit; the unused tail is cut off below.
  const out = new Uint8Array(textAt + words(headers.length * 3 + 1) + words(body.byteLength));
  const textBytes = encoder.encodeInto(headers, out.subarray(textAt)).written + 1;
  const bodyAt = textAt + words(textBytes);
  const end = bodyAt + words(body.byteLength);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0, true);
  view.setUint32(4, (end - 8) / 8, true);
  view.setUint32(12, 1 | (1 << 16), true);
  view.setUint32(16, id, true);
  view.setUint16(20, WHICH_RESPONSE, true);
  view.setUint32(28, 1 | (2 << 16), true);
  view.setUint16(32, status, true);
  view.setUint32(40, (1 << 2) | 1, true);
  view.setUint32(44, BYTE_ELEMENTS | (textBytes << 3), true);
  if (body.byteLength > 0) {
    out.set(body, bodyAt);
    view.setUint32(48, (((bodyAt - 56) / 8) << 2) | 1, true);
    view.setUint32(52, BYTE_ELEMENTS | (body.byteLength << 3), true);
  }
  return out.subarray(0, end);
}

/**
 * Decodes `bytes` (one frame) if it is a `request` in the simple layout; `undefined` for any other message or
 * layout (the caller then uses capnp-es, which also reports what is wrong). Every pointer is
 * bounds-checked. Strings are decoded like capnp-es does (UTF-8, invalid bytes replaced); the body
 * is a view into `bytes`, not a copy.
 */
export function decodeRequestFast(bytes: Uint8Array): RequestMessage | undefined {
  const frame = unionMember(bytes, WHICH_REQUEST);
  if (frame === undefined) return undefined;
  const { view, root, member: request } = frame;
  // A streamed body is for capnp-es's path to refuse.
  if ((request.dataWords > 0 && (view.getUint8(request.at) & 1) === 1)) return undefined;
  const pointer = (index: number) => index < request.pointers ? request.at + (request.dataWords + index) * 8 : -1;
  const method = text(view, bytes, pointer(0));
  const url = text(view, bytes, pointer(1));
  const headers = text(view, bytes, pointer(2));
  const body = data(view, bytes, pointer(3));
  const remoteAddress = text(view, bytes, pointer(4));
  if (
    method === undefined || url === undefined || headers === undefined || body === undefined ||
    remoteAddress === undefined
  ) {
    return undefined;
  }
  return {
    type: "request",
    id: view.getUint32(root.at, true),
    method,
    url,
    headers,
    body,
    remoteAddress,
  };
}

/**
 * Encodes a `request` frame:
 *
 * ```
 * bytes 0-7    segment table: 1 segment of N words
 * segment word 0  root pointer -> Frame (1 data word, 1 pointer)
 *         1  Frame data: id (u32), union tag 4 = request (u16)
 *         2  Frame pointer -> HttpRequest (1 data word, 5 pointers)
 *         3  HttpRequest data: bodyStreamed (bit 0) = false
 *         4-8  method, url, headers (Text), body (Data, null when empty), remoteAddress (Text)
 *         9… the texts and the body, each padded to a word
 * ```
 */
export function encodeRequestFast(
  id: number,
  method: string,
  url: string,
  headers: string,
  body: Uint8Array,
  remoteAddress: string,
): Uint8Array {
  const pointersAt = 8 + 4 * 8; // segment table, root pointer, Frame data, Frame pointer, HttpRequest data
  const contentAt = pointersAt + 5 * 8;
  const texts = [method, url, headers, "", remoteAddress];
  let capacity = contentAt + words(body.byteLength);
  for (const t of texts) capacity += words(t.length * 3 + 1);
  const out = new Uint8Array(capacity);
  const view = new DataView(out.buffer);
  view.setUint32(12, 1 | (1 << 16), true); // root -> Frame: offset 0, 1 data word, 1 pointer
  view.setUint32(16, id, true);
  view.setUint16(20, WHICH_REQUEST, true);
  view.setUint32(28, 1 | (5 << 16), true); // Frame -> HttpRequest: offset 0, 1 data word, 5 pointers
  let at = contentAt;
  for (let i = 0; i < 5; i++) {
    const pointerAt = pointersAt + i * 8;
    let length: number;
    if (i === 3) {
      if (body.byteLength === 0) continue;
      out.set(body, at);
      length = body.byteLength;
    } else {
      length = encoder.encodeInto(texts[i]!, out.subarray(at)).written + 1; // + NUL
    }
    view.setUint32(pointerAt, (((at - pointerAt - 8) / 8) << 2) | 1, true);
    view.setUint32(pointerAt + 4, BYTE_ELEMENTS | (length << 3), true);
    at += words(length);
  }
  view.setUint32(0, 0, true);
  view.setUint32(4, (at - 8) / 8, true);
  return out.subarray(0, at);
}

/**
 * Decodes `bytes` (one frame) if it is a `response` in the simple layout; `undefined` otherwise
 * (the caller then uses the generic codec, which also reports what is wrong). Every pointer is
 * bounds-checked: the host reads these from untrusted plugins. The body is a view into `bytes`.
 */
export function decodeResponseFast(bytes: Uint8Array): ResponseMessage | undefined {
  const frame = unionMember(bytes, WHICH_RESPONSE);
  if (frame === undefined || frame.member.dataWords < 1) return undefined;
  const { view, root, member: response } = frame;
  // A streamed body is for the generic path to refuse.
  if ((view.getUint8(response.at + 2) & 1) === 1) return undefined;
  const pointer = (index: number) => index < response.pointers ? response.at + (response.dataWords + index) * 8 : -1;
  const headers = text(view, bytes, pointer(0));
  const body = data(view, bytes, pointer(1));
  if (headers === undefined || body === undefined) return undefined;
  return { type: "response", id: view.getUint32(root.at, true), status: view.getUint16(response.at, true), headers, body };
}

interface StructAt {
  readonly at: number;
  readonly dataWords: number;
  readonly pointers: number;
}

/**
 * The `Frame` root of a one-segment frame whose union holds `which`, and the struct its pointer
 * leads to; `undefined` for any other message or layout.
 */
function unionMember(bytes: Uint8Array, which: number): { view: DataView; root: StructAt; member: StructAt } | undefined {
  const size = bytes.byteLength;
  if (size < 24) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, size);
  if (view.getUint32(0, true) !== 0 || view.getUint32(4, true) * 8 !== size - 8) return undefined;
  const root = struct(view, 8);
  if (root === undefined || root.dataWords < 1 || root.pointers < 1) return undefined;
  if (view.getUint16(root.at + 4, true) !== which) return undefined;
  const member = struct(view, root.at + root.dataWords * 8);
  return member === undefined ? undefined : { view, root, member };
}

/** Follows the struct pointer at byte `at`; `undefined` when it is null, not a struct pointer or out of bounds. */
function struct(view: DataView, at: number): StructAt | undefined {
  const low = view.getUint32(at, true);
  const high = view.getUint32(at + 4, true);
  if ((low & 3) !== 0 || (low === 0 && high === 0)) return undefined;
  const start = at + 8 + ((low | 0) >> 2) * 8;
  const dataWords = high & 0xffff;
  const pointers = high >>> 16;
  if (start < 8 || start + (dataWords + pointers) * 8 > view.byteLength) return undefined;
  return { at: start, dataWords, pointers };
}

/** The byte list the pointer at `at` points to (-1: absent field); `undefined` when it is not one. */
function byteList(view: DataView, bytes: Uint8Array, at: number): Uint8Array | undefined {
  if (at < 0) return EMPTY;
  const low = view.getUint32(at, true);
  const high = view.getUint32(at + 4, true);
  if (low === 0 && high === 0) return EMPTY;
  if ((low & 3) !== 1 || (high & 7) !== BYTE_ELEMENTS) return undefined;
  const start = at + 8 + ((low | 0) >> 2) * 8;
  const length = high >>> 3;
  if (start < 8 || start + length > view.byteLength) return undefined;
  return bytes.subarray(start, start + length);
}

function text(view: DataView, bytes: Uint8Array, at: number): string | undefined {
  const list = byteList(view, bytes, at);
  // The last byte is Text's NUL terminator.
  return list === undefined
    ? undefined
    : list.byteLength <= 1
    ? ""
    : decoder.decode(list.subarray(0, list.byteLength - 1));
}

function data(view: DataView, bytes: Uint8Array, at: number): Uint8Array | undefined {
  return byteList(view, bytes, at);
}
