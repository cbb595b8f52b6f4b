/**
 * Part of the review `corral install/update <name>` shows before a registry version replaces the
 * running one: whether its signer differs from the running version's, and the rotations the
 * registry recorded in between. Shown, not decided: the host's trusted keys decide (D23-cli).
 */
import semver from "semver";
import type { RegistryClient, RegistryKeyChange, RegistryVersion } from "../registry-client/registry-client.ts";

export interface SignerChange {
  readonly name: string;
  readonly installed: string;
  /** The running version's signer as the registry recorded it. */
  readonly from: string;
  readonly version: string;
  readonly to: string;
  /** Rotations the registry recorded after the running version, up to the new one. */
  readonly rotations: readonly RegistryKeyChange[];
}

/**
 * The signer change from the running version to `chosen`, or undefined when the key is the same
 * or the registry does not have the running version (installed from a file, say: no record to compare).
 */
export async function signerChange(client: RegistryClient, name: string, versions: readonly RegistryVersion[], running: string | undefined, chosen: RegistryVersion): Promise<SignerChange | undefined> {
  const installed = running === undefined ? undefined : versions.find((v) => v.version === running);
  if (installed === undefined || installed.keyId === chosen.keyId) return undefined;
  const { keyChanges } = await client.plugin(name);
  const between = (v: string) => semver.valid(v) !== null && semver.gt(v, installed.version) && semver.lte(v, chosen.version);
  return { name, installed: installed.version, from: installed.keyId, version: chosen.version, to: chosen.keyId, rotations: keyChanges.filter((k) => between(k.version)) };
}

/** The review lines for a signer change. */
export function describeSignerChange(change: SignerChange): string {
  const rotations = change.rotations.length === 0
    ? "the registry records no rotation between them (signed before keys were pinned): ask the publisher"
    : change.rotations.map((k) => `the owner rotated the key on ${k.at.slice(0, 10)} (${k.by}, at ${k.version}: ${k.from} -> ${k.to})`).join("; ");
  return `signer changed: ${change.name} ${change.installed} was signed by key ${change.from}, ${change.version} by key ${change.to}; ${rotations}. ` +
    "The host installs it only if it trusts the new key (<dataDir>/trusted-keys/ or its policy).";
}
