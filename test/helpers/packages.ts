/** Builds real `.corral` packages in memory for tests: files packed as `corral pack` does, optionally signed. */
import { generateKeyPairSync } from "node:crypto";
import { gunzipSync, gzipSync } from "node:zlib";
import { openPackage, packFiles } from "../../host/packages/package.ts";
import { signPackage } from "../../host/packages/signing.ts";

export interface PackageSpec {
  /** plugin.json's content. */
  readonly manifest: Record<string, unknown>;
  /** Other files by path (mod.ts defaults to an empty plugin). */
  readonly files?: Readonly<Record<string, string>>;
}

/** An Ed25519 private key as PEM, as `corral keygen` writes it. */
export function newPrivateKey(): string {
  return generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString();
}

/** The package's bytes: unsigned without a key. */
export function buildTestPackage(spec: PackageSpec, privateKeyPem?: string): Buffer {
  const files = { "mod.ts": "export default {};\n", ...spec.files, "plugin.json": JSON.stringify(spec.manifest) };
  const { bytes } = packFiles(Object.entries(files).map(([path, content]) => ({ path, content: Buffer.from(content) })), "test package");
  return privateKeyPem === undefined ? bytes : signPackage(openPackage(bytes), privateKeyPem).bytes;
}

/**
 * The package with `find` replaced by `replace` (same length) inside its archive: a file's content
 * changed after packing (and signing), with the tar headers still valid.
 */
export function tamperPackage(bytes: Buffer, find: string, replace: string): Buffer {
  if (Buffer.byteLength(find) !== Buffer.byteLength(replace)) throw new RangeError("tamperPackage keeps the size: find and replace must be as long");
  const tar = gunzipSync(bytes);
  const at = tar.indexOf(find);
  if (at === -1) throw new RangeError(`${JSON.stringify(find)} is not in the package`);
  tar.write(replace, at);
  return gzipSync(tar);
}
