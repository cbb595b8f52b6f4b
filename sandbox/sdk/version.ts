/**
 * The version of the Corral SDK (and of the runner that ships with it), announced in the handshake.
 *
 * @module
 */

/**
 * The semver version of this SDK. The runner sends it to the host in its `hello` frame, and the host
 * checks it against the range a plugin's manifest declares in `hostApi`.
 *
 * @example
 * ```ts
 * import { SDK_VERSION } from "@corral/sdk";
 *
 * console.log(`built against Corral SDK ${SDK_VERSION}`);
 * ```
 */
export const SDK_VERSION = "0.1.0";
