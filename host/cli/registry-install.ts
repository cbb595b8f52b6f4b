/**
 * The registry side of `corral install <name>[@range]` and `corral update <name>[@range]`: which
 * version to take (the newest in the range whose `hostApi` admits the host's version), and its
 * package, downloaded with its SHA-256 checked. What happens to the bytes next is the same as for
 * a `.corral` file on disk (host/cli/install.ts).
 */
import semver from "semver";
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import type { RegistryVersion } from "../registry-client/registry-client.ts";
import { UsageError } from "./cli.ts";

/** `<name>` or `<name>@<semver range>`, as typed. */
export interface RegistrySpec {
  readonly name: string;
  readonly range: string | undefined;
}

const NAME = /^[a-z][a-z0-9-]{0,38}[a-z0-9]$/;

/** Whether `text` reads as a plugin name with an optional range (rather than a path). */
export function looksLikeSpec(text: string): boolean {
  return NAME.test(text.split("@")[0] ?? "") && !text.includes("/");
}

/** Parses `<name>[@range]`; a usage error names what is wrong. */
export function parseSpec(text: string): RegistrySpec {
  const at = text.indexOf("@");
  const name = at === -1 ? text : text.slice(0, at);
  const range = at === -1 ? undefined : text.slice(at + 1);
  if (!NAME.test(name)) throw new UsageError(`${JSON.stringify(name)} is not a plugin name (lowercase letters, digits and "-", 2 to 40 characters)`);
  if (range !== undefined && semver.validRange(range) === null) {
    throw new UsageError(`${JSON.stringify(range)} is not a semver range; e.g. ${name}@^1.2 or ${name}@1.4.0`);
  }
  return { name, range };
}

/** One version as listed in a refusal: `1.2.0` or `2.0.0 (needs host API ^9.0.0)`. */
function describe(version: RegistryVersion, hostVersion: string): string {
  return semver.satisfies(hostVersion, version.hostApi, { includePrerelease: true }) ? version.version : `${version.version} (needs host API ${version.hostApi})`;
}

/**
 * The newest version of `versions` (as the registry lists them) in `range` (any when undefined)
 * that a host of `hostVersion` can run. Prereleases only when the range names one.
 *
 * @throws {CorralError} REGISTRY_NOT_FOUND listing the versions there are, and why none fits.
 */
export function chooseVersion(name: string, versions: readonly RegistryVersion[], range: string | undefined, hostVersion: string): RegistryVersion {
  const sorted = [...versions].sort((a, b) => semver.rcompare(a.version, b.version));
  const inRange = sorted.filter((v) => range === undefined ? semver.prerelease(v.version) === null : semver.satisfies(v.version, range));
  const runnable = inRange.find((v) => semver.satisfies(hostVersion, v.hostApi, { includePrerelease: true }));
  if (runnable !== undefined) return runnable;
  const available = sorted.map((v) => describe(v, hostVersion)).join(", ") || "none";
  const wanted = range === undefined ? "" : ` matching ${range}`;
  throw new CorralError(ErrorCode.REGISTRY_NOT_FOUND, inRange.length === 0
    ? `no version of "${name}"${wanted} in the registry; available: ${available}`
    : `no version of "${name}"${wanted} runs on this host (host API ${hostVersion}); available: ${available}`);
}
