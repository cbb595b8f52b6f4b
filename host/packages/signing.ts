/**
 * Ed25519 signatures of packages (node:crypto): key pairs as PEM files, a signature over the
 * bytes of `corral-files.json`, and the host's trust decision from its trusted keys and policy.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import { buildPackage, type OpenedPackage, type PackageSignature } from "./package.ts";

/** A new key pair as PEM text: PKCS#8 private, SPKI public. */
export function generateSigningKeys(): { privateKey: string; publicKey: string; keyId: string } {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const publicPem = publicKey.export({ type: "spki", format: "pem" }).toString();
  return { privateKey: privateKey.export({ type: "pkcs8", format: "pem" }).toString(), publicKey: publicPem, keyId: keyIdOf(publicPem) };
}

/** The id a public key goes by: hex of the first 16 bytes of the sha256 of its DER. */
export function keyIdOf(publicKeyPem: string): string {
  const der = createPublicKey(publicKeyPem).export({ type: "spki", format: "der" });
  return createHash("sha256").update(der).digest("hex").slice(0, 32);
}

/** The package's bytes with a signature by `privateKeyPem` (replacing any signature it had). */
export function signPackage(pkg: OpenedPackage, privateKeyPem: string): { bytes: Buffer; signature: PackageSignature } {
  let key;
  try {
    key = createPrivateKey(privateKeyPem);
  } catch (error) {
    throw new CorralError(ErrorCode.PACKAGE_UNTRUSTED, `not a private key in PEM: ${(error as Error).message}`);
  }
  if (key.asymmetricKeyType !== "ed25519") {
    throw new CorralError(ErrorCode.PACKAGE_UNTRUSTED, `the key is ${key.asymmetricKeyType}, expected ed25519 (make one with npx corral keygen)`);
  }
  const publicKey = createPublicKey(key).export({ type: "spki", format: "pem" }).toString();
  const signature: PackageSignature = {
    algorithm: "ed25519",
    keyId: keyIdOf(publicKey),
    publicKey,
    signature: sign(null, pkg.listBytes, key).toString("base64"),
  };
  return { bytes: buildPackage(pkg.list, pkg.files, signature, pkg.listBytes), signature };
}

/** Whether the package's signature verifies over its file list (with the key it carries). */
export function signatureVerifies(pkg: OpenedPackage): boolean {
  const s = pkg.signature;
  if (s === undefined || s.algorithm !== "ed25519" || typeof s.publicKey !== "string" || typeof s.signature !== "string") return false;
  try {
    if (keyIdOf(s.publicKey) !== s.keyId) return false;
    return verify(null, pkg.listBytes, createPublicKey(s.publicKey), Buffer.from(s.signature, "base64"));
  } catch {
    return false;
  }
}

/** The host's trusted keys: every `*.pub` (PEM) in `dir`, by key id. A missing folder trusts none. */
export async function loadTrustedKeys(dir: string): Promise<ReadonlyMap<string, string>> {
  const keys = new Map<string, string>();
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return keys;
  }
  for (const name of names.filter((n) => n.endsWith(".pub")).sort()) {
    const pem = await readFile(join(dir, name), "utf8");
    try {
      keys.set(keyIdOf(pem), name);
    } catch (error) {
      throw new CorralError(ErrorCode.ENVIRONMENT, `${join(dir, name)} is not a public key in PEM: ${(error as Error).message}`);
    }
  }
  return keys;
}

/** What a host accepts: from its policy's `packages`, or everything in development mode. */
export interface TrustPolicy {
  readonly allowUnsigned: boolean;
  readonly allowUntrusted: boolean;
}

/** Where the package stands: "trusted" names the key file; otherwise why not. */
export type TrustStatus =
  | { readonly status: "trusted"; readonly keyId: string; readonly keyFile: string }
  | { readonly status: "unsigned" }
  | { readonly status: "untrusted"; readonly keyId: string }
  | { readonly status: "bad-signature"; readonly keyId: string };

export function trustStatus(pkg: OpenedPackage, trusted: ReadonlyMap<string, string>): TrustStatus {
  if (pkg.signature === undefined) return { status: "unsigned" };
  const keyId = String(pkg.signature.keyId);
  if (!signatureVerifies(pkg)) return { status: "bad-signature", keyId };
  const keyFile = trusted.get(keyId);
  return keyFile === undefined ? { status: "untrusted", keyId } : { status: "trusted", keyId, keyFile };
}

/**
 * Refuses what the policy does not accept. A bad signature is refused always: it means the file
 * list changed after signing.
 *
 * @throws {CorralError} PACKAGE_UNTRUSTED saying what to do.
 */
export function assertTrusted(status: TrustStatus, policy: TrustPolicy, trustedDir: string): void {
  if (status.status === "bad-signature") {
    throw new CorralError(ErrorCode.PACKAGE_UNTRUSTED, `the package's signature (key ${status.keyId}) does not verify over its file list: it was altered after signing`);
  }
  if (status.status === "unsigned" && !policy.allowUnsigned) {
    throw new CorralError(ErrorCode.PACKAGE_UNTRUSTED,
      `the package is unsigned and this host's policy refuses unsigned packages; sign it (npx corral sign) with a key in ${trustedDir}, or set "packages": {"allowUnsigned": true} in the policy`);
  }
  if (status.status === "untrusted" && !policy.allowUntrusted) {
    throw new CorralError(ErrorCode.PACKAGE_UNTRUSTED,
      `the package is signed by key ${status.keyId}, which this host does not trust; copy its .pub file into ${trustedDir}, or set "packages": {"allowUntrusted": true} in the policy`);
  }
}
