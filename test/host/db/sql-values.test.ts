/** Tests for the typed-value JSON codec of SQL parameters and rows (schemas/sql-values.ts). */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { decodeRows, decodeSqlValues, encodeRows, encodeSqlValues } from "../../../schemas/sql-values.ts";

test("plain JSON values pass through unchanged", () => {
  const values = [null, true, false, 0, -1.5, "text", "", "with \"quotes\" and \u2028"];
  const json = encodeSqlValues(values);
  assert.is(json, JSON.stringify(values));
  assert.equal(decodeSqlValues(json), values);
});

test("undefined travels as null", () => {
  assert.equal(decodeSqlValues(encodeSqlValues([undefined, 1])), [null, 1]);
});

test("bigint round-trips as a bigint, also beyond 2^53", () => {
  const values = [0n, -1n, 9007199254740993n, -(2n ** 63n)];
  const json = encodeSqlValues(values);
  assert.ok(json.includes('{"$bigint":"9007199254740993"}'));
  assert.equal(decodeSqlValues(json), values);
});

test("Date round-trips to the millisecond", () => {
  const date = new Date("2024-02-29T23:59:59.123Z");
  const [decoded] = decodeSqlValues(encodeSqlValues([date]));
  assert.instance(decoded, Date);
  assert.is((decoded as Date).getTime(), date.getTime());
});

test("an invalid Date is refused when encoding", () => {
  assert.throws(() => encodeSqlValues([new Date("nope")]), /invalid Date/);
});

test("bytes round-trip as Uint8Array, a Buffer included, large ones too", () => {
  const small = new Uint8Array([0, 1, 2, 254, 255]);
  const large = new Uint8Array(200_000).map((_, i) => (i * 31) % 256);
  const buffer = Buffer.from("héllo");
  const [a, b, c] = decodeSqlValues(encodeSqlValues([small, large, buffer]));
  assert.instance(a, Uint8Array);
  assert.equal([...(a as Uint8Array)], [...small]);
  assert.equal((b as Uint8Array).length, large.length);
  assert.ok((b as Uint8Array).every((byte, i) => byte === large[i]));
  assert.equal([...(c as Uint8Array)], [...buffer]);
  assert.ok(encodeSqlValues([buffer]).includes(`{"$bytes":"${buffer.toString("base64")}"}`));
});

test("NaN and the infinities round-trip as $float", () => {
  const [nan, inf, ninf] = decodeSqlValues(encodeSqlValues([NaN, Infinity, -Infinity]));
  assert.ok(Number.isNaN(nan));
  assert.is(inf, Infinity);
  assert.is(ninf, -Infinity);
});

test("objects travel as $json and are never looked into, even when they look like tags", () => {
  const value = { a: [1, { b: null }], $date: "not a tag here", nested: { $bigint: "x" } };
  const json = encodeSqlValues([value]);
  assert.ok(json.startsWith('[{"$json":'));
  assert.equal(decodeSqlValues(json), [value]);
});

test("arrays are encoded element by element (Postgres arrays keep their element types)", () => {
  const date = new Date("2020-01-01T00:00:00Z");
  const [decoded] = decodeSqlValues(encodeSqlValues([["a", null, date, 5n, { k: 1 }]]));
  assert.equal(decoded, ["a", null, date, 5n, { k: 1 }]);
  assert.instance((decoded as unknown[])[2], Date);
});

test("rows round-trip with every kind of value, and plain rows are not copied", () => {
  const rows = [
    { id: 1, name: "a", big: "9223372036854775807", at: new Date(0), bin: new Uint8Array([7]), doc: { x: [1] }, tags: ["p", "q"], none: null, f: NaN },
    { id: 2, name: "b", big: "1", at: new Date(1), bin: new Uint8Array([]), doc: null, tags: [], none: null, f: 1.5 },
  ];
  const decoded = decodeRows(encodeRows(rows));
  assert.equal(decoded.length, 2);
  assert.equal(decoded[0].doc, { x: [1] });
  assert.instance(decoded[0].at, Date);
  assert.instance(decoded[0].bin, Uint8Array);
  assert.ok(Number.isNaN(decoded[0].f));
  assert.equal(decoded[1].tags, []);
  assert.is(decoded[0].big, "9223372036854775807");
  const plain = [{ a: 1, b: "x" }];
  assert.is(encodeRows(plain), JSON.stringify(plain));
  assert.equal(rows[0].doc, { x: [1] }, "the input rows are left alone");
});

test("a column named __proto__ stays data", () => {
  const json = '[{"__proto__":{"$json":{"polluted":true}}}]';
  const [row] = decodeRows(json);
  assert.equal(Object.keys(row), ["__proto__"]);
  assert.is(({} as Record<string, unknown>).polluted, undefined);
  assert.is(Object.getPrototypeOf(row), Object.prototype);
});

test("malformed input is refused with a TypeError that says why", () => {
  assert.throws(() => decodeSqlValues("{"), /not valid JSON/);
  assert.throws(() => decodeSqlValues('{"a":1}'), /must be a JSON array/);
  assert.throws(() => decodeSqlValues('[{"a":1}]'), /not a typed SQL value/);
  assert.throws(() => decodeSqlValues('[{"$bigint":"12abc"}]'), /not a typed SQL value/);
  assert.throws(() => decodeSqlValues('[{"$date":"yesterday"}]'), /not a typed SQL value/);
  assert.throws(() => decodeSqlValues('[{"$json":1,"$date":"x"}]'), /not a typed SQL value/);
  assert.throws(() => decodeSqlValues('[{"$float":"1.5"}]'), /not a typed SQL value/);
  assert.throws(() => decodeSqlValues('[{"$bytes":"%%%"}]'), /not valid base64/);
  assert.throws(() => decodeRows("[1]"), /must be a JSON object/);
  assert.throws(() => encodeSqlValues([() => 1]), /cannot encode a function/);
  assert.throws(() => encodeSqlValues([Symbol("s")]), /cannot encode a symbol/);
});

test.run();
