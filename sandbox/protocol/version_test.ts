/** Pins the protocol constants the runner announces (schemas/messages.ts) to protocol.capnp's. @module */

import { strictEqual } from "node:assert/strict";
// A text import needs no read permission, so this test runs under plain `deno test`.
import schema from "../../schemas/protocol.capnp" with { type: "text" };
import { PROTOCOL_MAJOR, PROTOCOL_MINOR } from "../../schemas/messages.ts";

function schemaConst(name: string): number {
  const match = new RegExp(`^const ${name} :UInt16 = (\\d+);`, "m").exec(schema);
  if (!match) throw new Error(`schemas/protocol.capnp has no "const ${name} :UInt16 = N;"`);
  return Number(match[1]);
}

Deno.test("protocol version: the constants the runner announces match schemas/protocol.capnp", () => {
  strictEqual(PROTOCOL_MAJOR, schemaConst("protocolMajor"));
  strictEqual(PROTOCOL_MINOR, schemaConst("protocolMinor"));
});
