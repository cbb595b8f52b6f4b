/** The check of a manifest's `hostApi` range against this host's version. */
import semver from "semver";
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import { HOST_VERSION } from "../version.ts";

/**
 * Refuses a plugin whose `hostApi` range this host's version does not satisfy.
 *
 * @throws {CorralError} MANIFEST_INVALID naming the range and this host's version.
 */
export function assertHostApi(name: string, range: string, file: string): void {
  if (!semver.satisfies(HOST_VERSION, range, { includePrerelease: true })) {
    throw new CorralError(ErrorCode.MANIFEST_INVALID,
      `${file}: /hostApi: plugin "${name}" needs a host matching ${JSON.stringify(range)}, but this host is ${HOST_VERSION}; install a compatible version of the plugin`);
  }
}
