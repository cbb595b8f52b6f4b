/**
 * The `.corral` package format: one gzip'd ustar file (host/packages/tar.ts) holding
 *
 * - `corral-files.json`: `{ format: 1, name, version, files: [{ path, sha256, size }] }`, every
 *   file of the plugin folder, sorted by path;
 * - `plugin/<path>`: each of those files (the manifest is `plugin/plugin.json`);
 * - `corral-signature.json` (once signed, host/packages/signing.ts): an Ed25519 signature over
 *   the exact bytes of `corral-files.json`.
 *
 * The file list is what is signed, so the signature covers every file through its hash, and a
 * package is checked by comparing the files against the list: changed, missing and extra files
 * are each refused by name. The registry imports this module to read what is published.
 */
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import { parseManifest, MANIFEST_FILE } from "../manifest/manifest.ts";
import type { Manifest } from "../manifest/manifest.ts";
import { readVersionFiles, sha256, type InstallLimits } from "../manager/version-files.ts";
import { readTarGz, writeTarGz, type TarEntry, type TarLimits } from "./tar.ts";

export const FILE_LIST = "corral-files.json";
export const SIGNATURE_FILE = "corral-signature.json";
export const PLUGIN_PREFIX = "plugin/";
export const PACKAGE_EXTENSION = ".corral";

/** One file of the list. */
export interface ListedFile {
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
}

/** `corral-files.json`. */
export interface FileList {
  readonly format: 1;
  readonly name: string;
  readonly version: string;
  readonly files: readonly ListedFile[];
}

/** `corral-signature.json`. */
export interface PackageSignature {
  readonly algorithm: "ed25519";
  /** sha256 of the public key's DER (SPKI), hex, first 16 bytes: the name trusted keys go by. */
  readonly keyId: string;
  /** The public key, PEM (SPKI), so `verify` can say whose key signed even when it is not trusted. */
  readonly publicKey: string;
  /** base64 of the signature over the bytes of corral-files.json. */
  readonly signature: string;
}

/** A package read into memory; nothing here is checked yet except the archive's shape. */
export interface OpenedPackage {
  /** The exact bytes of corral-files.json (what the signature covers). */
  readonly listBytes: Buffer;
  readonly list: FileList;
  readonly signature?: PackageSignature;
  /** The plugin's files by path (without the `plugin/` prefix). */
  readonly files: ReadonlyMap<string, Buffer>;
}

function invalid(message: string): CorralError {
  return new CorralError(ErrorCode.PACKAGE_INVALID, message);
}

function listOf(manifest: Manifest, files: readonly { path: string; content: Buffer }[]): FileList {
  return {
    format: 1,
    name: manifest.name,
    version: manifest.version,
    files: files.map((f) => ({ path: f.path, sha256: sha256(f.content), size: f.content.length }))
      .sort((a, b) => (a.path < b.path ? -1 : 1)),
  };
}

/** The list's canonical bytes: key order fixed, two-space JSON, a final newline. */
export function encodeFileList(list: FileList): Buffer {
  return Buffer.from(`${JSON.stringify({ format: list.format, name: list.name, version: list.version,
    files: list.files.map((f) => ({ path: f.path, sha256: f.sha256, size: f.size })) }, null, 2)}\n`);
}

/** The bytes of a package holding these files (and the signature when given). */
export function buildPackage(list: FileList, files: ReadonlyMap<string, Buffer>, signature?: PackageSignature, listBytes = encodeFileList(list)): Buffer {
  const entries: TarEntry[] = [{ path: FILE_LIST, content: listBytes }];
  for (const [path, content] of files) entries.push({ path: `${PLUGIN_PREFIX}${path}`, content });
  if (signature !== undefined) entries.push({ path: SIGNATURE_FILE, content: Buffer.from(`${JSON.stringify(signature, null, 2)}\n`) });
  return writeTarGz(entries);
}

/**
 * Packs a plugin folder: its manifest must be valid; `node_modules` and `.git` are left out,
 * symlinks refused (as the manager's install does). Reproducible: same files, same bytes.
 */
export async function packFolder(dir: string, limits?: InstallLimits): Promise<{ bytes: Buffer; list: FileList }> {
  return packFiles(await readVersionFiles(dir, limits), dir);
}

/** Packs files already read (`where` names them in errors): the manifest must be among them and valid. */
export function packFiles(files: readonly { path: string; content: Buffer }[], where: string): { bytes: Buffer; list: FileList } {
  const manifestFile = files.find((f) => f.path === MANIFEST_FILE);
  if (manifestFile === undefined) throw invalid(`${where} has no ${MANIFEST_FILE}: is it a plugin folder?`);
  const manifest = parseManifest(manifestFile.content.toString("utf8"), `${where}/${MANIFEST_FILE}`);
  const list = listOf(manifest, files);
  const byPath = new Map(files.map((f) => [f.path, f.content]));
  return { bytes: buildPackage(list, byPath), list };
}

function parseJson(bytes: Buffer, what: string): unknown {
  try {
    return JSON.parse(bytes.toString("utf8"));
  } catch (error) {
    throw invalid(`${what} is not JSON: ${(error as Error).message}`);
  }
}

function checkList(value: unknown): FileList {
  const list = value as FileList;
  if (typeof list !== "object" || list === null || list.format !== 1 || typeof list.name !== "string" ||
    typeof list.version !== "string" || !Array.isArray(list.files)) {
    throw invalid(`${FILE_LIST} must be {"format":1,"name","version","files":[...]} (a package of another format or version?)`);
  }
  for (const file of list.files) {
    if (typeof file?.path !== "string" || typeof file.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(file.sha256) || !Number.isInteger(file.size)) {
      throw invalid(`${FILE_LIST}: each file must be {"path","sha256" (64 hex),"size"}, got ${JSON.stringify(file)}`);
    }
  }
  return list;
}

/** Reads a package's archive and its two JSON files; checks nothing about the plugin's files. */
export function openPackage(bytes: Buffer, limits?: TarLimits): OpenedPackage {
  const entries = readTarGz(bytes, limits);
  let listBytes: Buffer | undefined;
  let signatureBytes: Buffer | undefined;
  const files = new Map<string, Buffer>();
  for (const entry of entries) {
    if (entry.path === FILE_LIST) listBytes = entry.content;
    else if (entry.path === SIGNATURE_FILE) signatureBytes = entry.content;
    else if (entry.path.startsWith(PLUGIN_PREFIX)) files.set(entry.path.slice(PLUGIN_PREFIX.length), entry.content);
    else throw invalid(`extra file ${JSON.stringify(entry.path)}: a package holds only ${FILE_LIST}, ${SIGNATURE_FILE} and ${PLUGIN_PREFIX}...`);
  }
  if (listBytes === undefined) throw invalid(`the package has no ${FILE_LIST} (not a Corral package?)`);
  const list = checkList(parseJson(listBytes, FILE_LIST));
  const signature = signatureBytes === undefined ? undefined : parseJson(signatureBytes, SIGNATURE_FILE) as PackageSignature;
  return { listBytes, list, files, ...(signature === undefined ? {} : { signature }) };
}

/**
 * Checks every file against the list, and the manifest against the list's name and version.
 *
 * @throws {CorralError} PACKAGE_INVALID naming the first changed, missing or extra file.
 */
export function checkFiles(pkg: OpenedPackage): Manifest {
  const listed = new Set<string>();
  for (const file of pkg.list.files) {
    listed.add(file.path);
    const content = pkg.files.get(file.path);
    if (content === undefined) throw invalid(`missing file: ${file.path} is in ${FILE_LIST} but not in the package`);
    if (content.length !== file.size || sha256(content) !== file.sha256) {
      throw invalid(`changed file: ${file.path} does not match its sha256 in ${FILE_LIST} (the package was altered after it was packed)`);
    }
  }
  for (const path of pkg.files.keys()) {
    if (!listed.has(path)) throw invalid(`extra file: ${path} is in the package but not in ${FILE_LIST}`);
  }
  const manifestBytes = pkg.files.get(MANIFEST_FILE);
  if (manifestBytes === undefined) throw invalid(`the package has no ${MANIFEST_FILE}`);
  const manifest = parseManifest(manifestBytes.toString("utf8"), `${PLUGIN_PREFIX}${MANIFEST_FILE}`);
  if (manifest.name !== pkg.list.name || manifest.version !== pkg.list.version) {
    throw invalid(`${FILE_LIST} says ${pkg.list.name} ${pkg.list.version} but the manifest says ${manifest.name} ${manifest.version}`);
  }
  return manifest;
}

/** The package file's usual name: `<name>-<version>.corral`. */
export function packageFileName(list: Pick<FileList, "name" | "version">): string {
  return `${list.name}-${list.version}${PACKAGE_EXTENSION}`;
}
