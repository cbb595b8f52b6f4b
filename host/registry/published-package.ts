/**
 * What the registry reads from a `.corral` file at publish: the package opened with
 * host/packages (the manifest from inside it, every file checked against corral-files.json), a
 * signature that verifies over the file list (required), the signer's key id, the permission
 * kinds the plugin asks for (for search), and the changelog of its version from its CHANGELOG.md.
 */
import { createHash } from "node:crypto";
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import type { Manifest } from "../manifest/manifest.ts";
import { changelogOf } from "../packages/changelog.ts";
import { checkFiles, openPackage, SIGNATURE_FILE } from "../packages/package.ts";
import { signatureVerifies } from "../packages/signing.ts";

/** A package the registry accepted: its files and manifest checked, its signature verified. */
export interface PublishedPackage {
  readonly manifest: Manifest;
  /** The `.corral` file's bytes, served as they came. */
  readonly bytes: Buffer;
  /** Hex SHA-256 of the bytes, served with every download so clients can check them. */
  readonly sha256: string;
  /** Base64 Ed25519 signature over corral-files.json. */
  readonly signature: string;
  /** PEM (SPKI) of the signer's key, as the package carries it. */
  readonly publicKey: string;
  /** The signer key's id (host/packages/signing.ts keyIdOf): what a host's trusted-keys/ file goes by. */
  readonly keyId: string;
  /** The kinds of access the plugin asks for, for search ("plugins that need no net"). */
  readonly permissions: readonly PermissionKind[];
  /** Its version's section of CHANGELOG.md; "" without one. */
  readonly changelog: string;
}

export const PERMISSION_KINDS = ["net", "read", "env", "database", "cache", "globalHooks", "commands"] as const;
export type PermissionKind = typeof PERMISSION_KINDS[number];

/** The kinds of access a manifest asks for: a kind is listed when the manifest grants anything of it. */
export function permissionKinds(manifest: Manifest): PermissionKind[] {
  const kinds: PermissionKind[] = [];
  if (manifest.permissions.net.length > 0) kinds.push("net");
  if (manifest.permissions.read.length > 0) kinds.push("read");
  if (manifest.permissions.env.length > 0) kinds.push("env");
  if (manifest.database === true) kinds.push("database");
  if (manifest.cache !== undefined) kinds.push("cache");
  if (manifest.globalHooks !== undefined && Object.keys(manifest.globalHooks).length > 0) kinds.push("globalHooks");
  if (manifest.commands !== undefined && Object.keys(manifest.commands).length > 0) kinds.push("commands");
  return kinds;
}

/**
 * Opens and checks a published `.corral` file.
 *
 * @throws {CorralError} PACKAGE_INVALID naming the malformed part or the changed, missing or extra
 *   file; REGISTRY_SIGNATURE when it is unsigned or its signature does not verify.
 */
export function readPublishedPackage(bytes: Buffer): PublishedPackage {
  if (bytes.length === 0) throw new CorralError(ErrorCode.PACKAGE_INVALID, "the body is empty: send the .corral file's bytes (npx corral publish)");
  const pkg = openPackage(bytes);
  const manifest = checkFiles(pkg);
  const signature = pkg.signature;
  if (signature === undefined) {
    throw new CorralError(ErrorCode.REGISTRY_SIGNATURE,
      `${manifest.name}@${manifest.version} is unsigned: the registry accepts signed packages only; sign it with npx corral sign <file> --key <file.key>`);
  }
  if (!signatureVerifies(pkg)) {
    throw new CorralError(ErrorCode.REGISTRY_SIGNATURE,
      `the signature in ${SIGNATURE_FILE} (key ${String(signature.keyId)}) does not verify over corral-files.json: the package was changed after signing; pack and sign it again`);
  }
  return {
    manifest, bytes,
    sha256: createHash("sha256").update(bytes).digest("hex"),
    signature: signature.signature, publicKey: signature.publicKey, keyId: signature.keyId,
    permissions: permissionKinds(manifest),
    changelog: changelogOf(pkg.files, manifest.version),
  };
}
