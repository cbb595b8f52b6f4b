/**
 * What the registry needs of a package at publish time, behind one small interface.
 *
 * The package format (a `.corral` tarball with `corral-files.json` and an Ed25519 signature over
 * it) belongs to host/packages/, built on another branch. Until the registry reads it through
 * that code, a publish carries the package as opaque bytes plus its manifest and an Ed25519
 * signature over those bytes; `verifyOpaquePackage` is the one place to switch over.
 */
import { createHash, createPublicKey, verify as verifySignature } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import type { Manifest } from "../manifest/manifest.ts";
import { parseManifest } from "../manifest/manifest.ts";

/** A publish request's package part, as it arrived. */
export interface PackageSubmission {
  /** The package file's bytes. */
  readonly bytes: Uint8Array;
  /** plugin.json's text or parsed value (the interim format has no way to read it from the bytes). */
  readonly manifest: unknown;
  /** Base64 Ed25519 signature. */
  readonly signature: string | undefined;
  /** The signer's public key: PEM (SPKI) or the base64 of the raw 32 bytes. */
  readonly publicKey: string | undefined;
}

/** A package the registry accepted: its manifest checked, its signature verified. */
export interface VerifiedPackage {
  readonly manifest: Manifest;
  readonly bytes: Uint8Array;
  /** Hex SHA-256 of the bytes, served with every download so clients can check them. */
  readonly sha256: string;
  readonly signature: string;
  /** PEM (SPKI) of the signer's key, normalised. */
  readonly publicKey: string;
  /** The kinds of access the plugin asks for, for search ("plugins that need no net"). */
  readonly permissions: readonly PermissionKind[];
}

/** Refuses or accepts a submission; throws CorralError REGISTRY_INVALID or REGISTRY_SIGNATURE. */
export type PackageVerifier = (submission: PackageSubmission) => VerifiedPackage;

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

function publicKeyOf(text: string): KeyObject {
  try {
    const key = text.includes("-----BEGIN")
      ? createPublicKey(text)
      : createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: Buffer.from(text, "base64").toString("base64url") }, format: "jwk" });
    if (key.asymmetricKeyType !== "ed25519") throw new Error(`an ${key.asymmetricKeyType} key`);
    return key;
  } catch (error) {
    throw new CorralError(ErrorCode.REGISTRY_SIGNATURE,
      `publicKey is not an Ed25519 public key (PEM, or base64 of the raw 32 bytes): ${(error as Error).message}`);
  }
}

/** The interim verifier: manifest from the request, Ed25519 signature over the package's bytes. */
export const verifyOpaquePackage: PackageVerifier = (submission) => {
  const text = typeof submission.manifest === "string" ? submission.manifest : JSON.stringify(submission.manifest ?? null);
  let manifest: Manifest;
  try {
    manifest = parseManifest(text, "manifest");
  } catch (error) {
    throw new CorralError(ErrorCode.REGISTRY_INVALID, `the package's manifest is not a valid plugin.json: ${(error as Error).message}`);
  }
  if (submission.bytes.length === 0) throw new CorralError(ErrorCode.REGISTRY_INVALID, "package is empty: send the package file's bytes, base64-encoded");
  if (submission.signature === undefined || submission.signature === "" || submission.publicKey === undefined || submission.publicKey === "") {
    throw new CorralError(ErrorCode.REGISTRY_SIGNATURE,
      "the registry accepts signed packages only: send signature (base64 Ed25519) and publicKey; sign with npx corral sign");
  }
  const key = publicKeyOf(submission.publicKey);
  const signature = Buffer.from(submission.signature, "base64");
  if (!verifySignature(null, submission.bytes, key, signature)) {
    throw new CorralError(ErrorCode.REGISTRY_SIGNATURE,
      `the signature does not verify for ${manifest.name}@${manifest.version} with the given public key: the package changed after signing, or another key signed it`);
  }
  return {
    manifest,
    bytes: submission.bytes,
    sha256: createHash("sha256").update(submission.bytes).digest("hex"),
    signature: signature.toString("base64"),
    publicKey: key.export({ type: "spki", format: "pem" }).toString(),
    permissions: permissionKinds(manifest),
  };
};
