/**
 * The host services a plugin may call over the protocol (`call` frames): one handler per method
 * name, each given who is calling so it can check the caller's manifest. Deny by default: a
 * method nobody registered is CORRAL_E_CALL_UNKNOWN, and a handler refuses what the caller's
 * manifest does not grant with CORRAL_E_CALL_DENIED.
 */
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import type { Manifest } from "../manifest/manifest.ts";

/** The plugin that made a call. */
export interface Caller {
  readonly name: string;
  readonly manifest: Manifest;
}

/** Runs one method for `caller`; its result is sent back as JSON. Throw a CorralError to refuse. */
export type ServiceHandler = (caller: Caller, payload: unknown) => unknown;

export class ServiceRegistry {
  readonly #handlers = new Map<string, ServiceHandler>();

  /** Adds the handler of `method`; each method has one owner. */
  register(method: string, handler: ServiceHandler): void {
    if (this.#handlers.has(method)) throw new TypeError(`host service "${method}" is registered twice`);
    this.#handlers.set(method, handler);
  }

  /** Whether `method` has a handler. */
  has(method: string): boolean {
    return this.#handlers.has(method);
  }

  /**
   * Runs `method` for `caller` with a JSON payload and resolves with the JSON result.
   *
   * @throws {CorralError} CALL_UNKNOWN for an unregistered method, the handler's own CorralError,
   *   or CALL_FAILED (with the handler's message) for anything else it throws.
   */
  async dispatch(caller: Caller, method: string, payloadJson: string): Promise<string> {
    const handler = this.#handlers.get(method);
    if (handler === undefined) {
      throw new CorralError(ErrorCode.CALL_UNKNOWN, `the host has no service "${method}"; known: ${[...this.#handlers.keys()].sort().join(", ") || "none"}`);
    }
    let payload: unknown;
    try {
      payload = payloadJson === "" ? null : JSON.parse(payloadJson);
    } catch (error) {
      throw new CorralError(ErrorCode.CALL_FAILED, `"${method}": the payload is not JSON: ${(error as Error).message}`);
    }
    try {
      const result = await handler(caller, payload);
      return result === undefined ? "" : JSON.stringify(result);
    } catch (error) {
      if (error instanceof CorralError) throw error;
      throw new CorralError(ErrorCode.CALL_FAILED, `"${method}" failed: ${(error as Error).message}`, { cause: error });
    }
  }
}
