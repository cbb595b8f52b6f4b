/**
 * The runner's side of host services: `call` frames to the host, answered by `callResult` or
 * `error`, turned into a promise of the parsed result or a thrown `CorralError`.
 *
 * @module
 */

import { CorralError, type ErrorCodeValue, ErrorCode, isErrorCode } from "../schemas/errors.ts";
import type { HostCalls } from "./host-calls.ts";
import type { HostServices } from "./sdk/_internal.ts";

/** Host services reached through `calls`. */
export function hostServices(calls: HostCalls): HostServices {
  return {
    async call(method, payload) {
      const reply = await calls.call({ type: "call", method, payloadJson: JSON.stringify(payload ?? null) });
      if (reply.type === "error") throw new CorralError(knownCode(reply.code), reply.message);
      if (reply.type !== "callResult") {
        throw new CorralError(ErrorCode.PROTOCOL_VIOLATION, `the host answered "${method}" with "${reply.type}"`);
      }
      return reply.payloadJson === "" ? null : JSON.parse(reply.payloadJson);
    },
  };
}

function knownCode(code: string): ErrorCodeValue {
  return isErrorCode(code) ? code : ErrorCode.CALL_FAILED;
}
