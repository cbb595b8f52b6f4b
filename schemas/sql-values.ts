/**
 * The typed-value JSON encoding of SQL parameters (`Query.paramsJson`) and result rows
 * (`QueryResult.rowsJson`), used by both the host and the sandbox.
 *
 * JSON alone loses what node-postgres hands out (Dates, bytes, bigints, NaN), so each value is
 * written as follows:
 *
 * | JavaScript value                              | JSON                                        |
 * |-----------------------------------------------|---------------------------------------------|
 * | `null`, `undefined`                           | `null` (undefined decodes as null)          |
 * | boolean, finite number, string                | itself                                      |
 * | number NaN, Infinity, -Infinity               | `{"$float": "NaN"}` / `"Infinity"` / `"-Infinity"` |
 * | bigint                                        | `{"$bigint": "123"}`, decoded to a bigint   |
 * | Date                                          | `{"$date": "2024-05-01T12:00:00.000Z"}`     |
 * | Uint8Array (a Node Buffer too)                | `{"$bytes": "<standard base64>"}`, decoded to a Uint8Array |
 * | array (a Postgres array such as text[])       | a JSON array of encoded elements            |
 * | any other object (a json/jsonb value)         | `{"$json": value}`, value as JSON.stringify writes it |
 *
 * Arrays are encoded element by element rather than wrapped in `$json` so that Postgres arrays of
 * timestamps, bytea or int8 keep their element types; a JSON array from a json/jsonb column
 * decodes to the same value either way. A tagged object always has exactly one key; anything
 * else that is not plain JSON is refused when decoding, so the tags cannot be confused with data
 * (data objects only ever appear inside `$json`, which is never looked into).
 *
 * What a plugin receives is what node-postgres gives the host, with its default type parsers:
 * int8 and numeric arrive as strings, exactly like node-postgres (a bigint would surprise code
 * written for pg, and numeric's fraction fits neither bigint nor number); bigint parameters are
 * accepted. timestamptz, timestamp and date arrive as Date; bytea as Uint8Array; json and jsonb as
 * the parsed value; Postgres arrays as arrays. Parameters follow node-postgres' rules too: an
 * array becomes a Postgres array literal, a plain object JSON text (so pass a JSON array for a
 * json column as `JSON.stringify(list)`).
 *
 * Pure: no `node:` module and no `Deno` global, so both sides import this very file.
 *
 * @module
 */

/** Encodes query parameters as `Query.paramsJson`. @throws TypeError for a function or symbol. */
export function encodeSqlValues(values: readonly unknown[]): string {
  for (let i = 0; i < values.length; i++) {
    if (needsEncoding(values[i])) return JSON.stringify(values.map(encodeSqlValue));
  }
  // The common case (strings and numbers only) goes straight to the native serializer.
  return JSON.stringify(values);
}

/** Decodes `Query.paramsJson`. @throws TypeError when it is not a JSON array of typed values. */
export function decodeSqlValues(json: string): unknown[] {
  const values = parseJson(json, "SQL values");
  if (!Array.isArray(values)) throw new TypeError(`SQL values must be a JSON array, got ${preview(json)}`);
  for (let i = 0; i < values.length; i++) values[i] = decodeSqlValue(values[i]);
  return values;
}

/** Encodes result rows as `QueryResult.rowsJson`. @throws TypeError for a function or symbol. */
export function encodeRows(rows: readonly Readonly<Record<string, unknown>>[]): string {
  let encoded: Readonly<Record<string, unknown>>[] | undefined;
  for (let i = 0; i < rows.length; i++) {
    const row = encodeRow(rows[i]);
    // Copy the row list only once a row actually changed.
    if (row !== rows[i] && encoded === undefined) encoded = rows.slice(0, i);
    encoded?.push(row);
  }
  return JSON.stringify(encoded ?? rows);
}

/** Decodes `QueryResult.rowsJson`. @throws TypeError when it is not a JSON array of row objects. */
export function decodeRows(json: string): Record<string, unknown>[] {
  const rows = parseJson(json, "rows");
  if (!Array.isArray(rows)) throw new TypeError(`rows must be a JSON array, got ${preview(json)}`);
  for (const row of rows) {
    if (typeof row !== "object" || row === null || Array.isArray(row)) {
      throw new TypeError(`each row must be a JSON object, got ${preview(JSON.stringify(row))}`);
    }
    // The parsed rows are fresh objects, so they are decoded in place.
    for (const key of Object.keys(row)) {
      const value = (row as Record<string, unknown>)[key];
      if (typeof value === "object" && value !== null) setOwn(row as Record<string, unknown>, key, decodeSqlValue(value));
    }
  }
  return rows as Record<string, unknown>[];
}

/** One value in the typed-value encoding, ready for JSON.stringify. */
export function encodeSqlValue(value: unknown): unknown {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      return Number.isFinite(value) ? value : { $float: String(value) };
    case "bigint":
      return { $bigint: value.toString() };
    case "undefined":
      return null;
    case "object":
      if (value === null) return null;
      if (Array.isArray(value)) return value.map(encodeSqlValue);
      if (value instanceof Date) {
        if (Number.isNaN(value.getTime())) throw new TypeError("cannot encode an invalid Date as an SQL value");
        return { $date: value.toISOString() };
      }
      if (value instanceof Uint8Array) return { $bytes: toBase64(value) };
      return { $json: value };
    default:
      throw new TypeError(`cannot encode a ${typeof value} as an SQL value`);
  }
}

/** The value that {@linkcode encodeSqlValue} wrote, from its parsed JSON. */
export function decodeSqlValue(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = decodeSqlValue(value[i]);
    return value;
  }
  let tag: string | undefined;
  for (const key in value) {
    if (tag !== undefined) throw notTyped(value);
    tag = key;
  }
  const inner = (value as Record<string, unknown>)[tag ?? ""];
  switch (tag) {
    case "$json":
      return inner;
    case "$bigint":
      if (typeof inner === "string" && /^-?\d+$/.test(inner)) return BigInt(inner);
      break;
    case "$date": {
      const date = typeof inner === "string" ? new Date(inner) : undefined;
      if (date !== undefined && !Number.isNaN(date.getTime())) return date;
      break;
    }
    case "$bytes":
      if (typeof inner === "string") return fromBase64(inner);
      break;
    case "$float":
      if (inner === "NaN" || inner === "Infinity" || inner === "-Infinity") return Number(inner);
      break;
  }
  throw notTyped(value);
}

function needsEncoding(value: unknown): boolean {
  const type = typeof value;
  return type === "object" ? value !== null : type === "number" ? !Number.isFinite(value as number) : type !== "string" && type !== "boolean";
}

/** The row itself when every value is plain JSON (the usual case), else an encoded copy. */
function encodeRow(row: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
  let copy: Record<string, unknown> | undefined;
  for (const key in row) {
    const value = row[key];
    if (needsEncoding(value)) {
      copy ??= { ...row };
      setOwn(copy, key, encodeSqlValue(value));
    }
  }
  return copy ?? row;
}

/** Assignment, except for a column named "__proto__", which must stay data. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

function parseJson(json: string, what: string): unknown {
  try {
    return JSON.parse(json);
  } catch (error) {
    throw new TypeError(`${what} are not valid JSON (${(error as Error).message}): ${preview(json)}`);
  }
}

function notTyped(value: object): TypeError {
  return new TypeError(
    `not a typed SQL value (expected one of $json, $bigint, $date, $bytes, $float): ${preview(JSON.stringify(value))}`,
  );
}

function preview(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

// btoa/atob work on "binary strings"; going through them in chunks is several times faster than a
// hand-written base64 loop in both V8 hosts, and both Node and Deno have them as globals.
const CHUNK = 0x8000;

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + CHUNK) as unknown as number[]);
  }
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    throw new TypeError(`$bytes is not valid base64: ${preview(text)}`);
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
