/**
 * The registry's JSON API as seen from a host or the CLI, over undici. One method per call the
 * CLI (`outdated`, `install <name>@<range>`, `audit`, `publish`) and the host's update check
 * make. A registry error comes back as the CorralError it sent; anything else (no answer, not
 * JSON, a proxy's page) is REGISTRY_UNREACHABLE naming the URL.
 */
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { request } from "undici";
import { CorralError, ErrorCode, isErrorCode } from "../../schemas/errors.ts";
import type { Advisory, KeyChange, PluginSummary, UpdateCheck, VersionInfo } from "../registry/store.ts";

/**
 * The registry's JSON shapes, as its API answers them: defined once, where the registry builds
 * them (host/registry/store.ts), so client and server cannot drift apart.
 */
export type RegistryVersion = VersionInfo;
export type RegistryAdvisory = Advisory;
export type RegistryPlugin = PluginSummary;
export type RegistryCheck = UpdateCheck;
export type RegistryKeyChange = KeyChange;

export interface PublishRequest {
  /** The signed `.corral` file's bytes (manifest, changelog and signature are read from inside). */
  readonly bytes: Uint8Array;
  /** The plugin's keywords, for search; kept as they were when not given. */
  readonly keywords?: readonly string[];
  /** Signed by another key than the plugin's pinned one on purpose: pin this one, recording the change. */
  readonly rotateKey?: boolean;
}

/** Told as bytes go up or come down: how many so far, of how many (null when the size is unknown). */
export type TransferProgress = (done: number, total: number | null) => void;

const CHUNK_BYTES = 64 * 1024;

export interface RegistryClientOptions {
  /** The registry's base URL, e.g. http://registry.example:8090 (CORRAL_REGISTRY_URL). */
  readonly url: string;
  /** A publisher or reviewer token, for calls that change something. */
  readonly token?: string;
  /** Per call; default 10 s. */
  readonly timeoutMs?: number;
}

export class RegistryClient {
  readonly url: string;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;

  constructor(options: RegistryClientOptions) {
    if (!/^https?:\/\/[^/]+(\/.*)?$/.test(options.url)) {
      throw new CorralError(ErrorCode.ENVIRONMENT, `the registry URL must look like http://host:port, got ${JSON.stringify(options.url)} (CORRAL_REGISTRY_URL)`);
    }
    this.url = options.url.replace(/\/+$/, "");
    this.token = options.token;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  async search(query: { text?: string; keyword?: string; needs?: readonly string[]; without?: readonly string[] } = {}): Promise<RegistryPlugin[]> {
    const params = new URLSearchParams();
    if (query.text) params.set("q", query.text);
    if (query.keyword) params.set("keyword", query.keyword);
    if (query.needs?.length) params.set("needs", query.needs.join(","));
    if (query.without?.length) params.set("without", query.without.join(","));
    return (await this.json<{ plugins: RegistryPlugin[] }>("GET", `/api/plugins?${params}`)).plugins;
  }

  /** One plugin: its summary, versions, advisories and signing-key rotations. */
  async plugin(name: string): Promise<RegistryPlugin & { versions: RegistryVersion[]; advisories: RegistryAdvisory[]; keyChanges: RegistryKeyChange[] }> {
    return this.json("GET", `/api/plugins/${encodeURIComponent(name)}`);
  }

  /** The account the token belongs to. */
  async account(): Promise<{ name: string; role: string }> {
    return this.json("GET", "/api/account");
  }

  /** Versions newest first; only those in `range` (e.g. "^1.2") when given. */
  async versions(name: string, range?: string): Promise<RegistryVersion[]> {
    const query = range === undefined ? "" : `?range=${encodeURIComponent(range)}`;
    return (await this.json<{ versions: RegistryVersion[] }>("GET", `/api/plugins/${encodeURIComponent(name)}/versions${query}`)).versions;
  }

  /** The newest version in `range`, or null (for `corral install <name>@<range>`). */
  async resolve(name: string, range: string): Promise<RegistryVersion | null> {
    return (await this.versions(name, range))[0] ?? null;
  }

  /** A version's manifest, signature and public key (what an installer verifies against). */
  async versionDetail(name: string, version: string): Promise<RegistryVersion & { manifest: unknown; signature: string; publicKey: string }> {
    return this.json("GET", `/api/plugins/${encodeURIComponent(name)}/versions/${encodeURIComponent(version)}`);
  }

  /** The package's bytes, checked against the SHA-256 the registry recorded at publish. */
  async download(name: string, version: string, onProgress?: TransferProgress): Promise<{ bytes: Buffer; sha256: string; keyId: string }> {
    const path = `/api/plugins/${encodeURIComponent(name)}/versions/${encodeURIComponent(version)}/download`;
    const { statusCode, headers, body } = await this.send("GET", path);
    const length = Number(headers["content-length"]);
    const total = Number.isSafeInteger(length) ? length : null;
    const chunks: Buffer[] = [];
    let received = 0;
    try {
      for await (const chunk of body) {
        chunks.push(chunk as Buffer);
        received += (chunk as Buffer).length;
        onProgress?.(received, total);
      }
    } catch (error) {
      throw new CorralError(ErrorCode.REGISTRY_UNREACHABLE, `the download of ${name}@${version} from ${this.url} broke off after ${received} bytes: ${(error as Error).message}; try again`, { cause: error });
    }
    const bytes = Buffer.concat(chunks);
    if (statusCode !== 200) throw this.failure(statusCode, bytes.toString("utf8"), path);
    const sha256 = String(headers["x-corral-sha256"] ?? "");
    const actual = createHash("sha256").update(bytes).digest("hex");
    if (sha256 !== actual) {
      throw new CorralError(ErrorCode.REGISTRY_UNREACHABLE, `${name}@${version} from ${this.url}: the bytes' SHA-256 is ${actual}, the registry says ${sha256 || "nothing"}; the download was changed in transit`);
    }
    return { bytes, sha256, keyId: String(headers["x-corral-key-id"] ?? "") };
  }

  async advisories(name?: string): Promise<RegistryAdvisory[]> {
    const path = name === undefined ? "/api/advisories" : `/api/plugins/${encodeURIComponent(name)}/advisories`;
    return (await this.json<{ advisories: RegistryAdvisory[] }>("GET", path)).advisories;
  }

  /** Newer versions the host can run, and advisories covering what it has, for every installed plugin. */
  async check(hostVersion: string, plugins: readonly { name: string; version: string }[]): Promise<RegistryCheck[]> {
    return (await this.json<{ plugins: RegistryCheck[] }>("POST", "/api/check", { hostVersion, plugins })).plugins;
  }

  /** Uploads a signed package (needs a token); `onProgress` follows the upload. */
  async publish(input: PublishRequest, onProgress?: TransferProgress): Promise<RegistryVersion & { keyChange: RegistryKeyChange | null }> {
    const params = new URLSearchParams();
    if (input.keywords !== undefined) params.set("keywords", input.keywords.join(","));
    if (input.rotateKey === true) params.set("rotateKey", "1");
    const query = params.size === 0 ? "" : `?${params}`;
    const bytes = Buffer.from(input.bytes);
    // Sent in chunks from a generator, so progress follows what the socket has taken.
    async function* chunks(): AsyncGenerator<Buffer> {
      for (let sent = 0; sent < bytes.length;) {
        const chunk = bytes.subarray(sent, sent + CHUNK_BYTES);
        yield chunk;
        sent += chunk.length;
        onProgress?.(sent, bytes.length);
      }
    }
    return this.json("POST", `/api/publish${query}`, { bytes: chunks(), length: bytes.length });
  }

  private async json<T>(method: string, path: string, body?: unknown | { bytes: AsyncIterable<Buffer>; length: number }): Promise<T> {
    const { statusCode, body: stream } = await this.send(method, path, body);
    const text = await stream.text();
    if (statusCode >= 400) throw this.failure(statusCode, text, path);
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CorralError(ErrorCode.REGISTRY_UNREACHABLE, `${this.url}${path} answered ${statusCode} with something that is not JSON; is CORRAL_REGISTRY_URL a Corral registry?`);
    }
  }

  /** One call: `body` is JSON, or a package's bytes as `{ bytes, length }`. */
  private async send(method: string, path: string, body?: unknown) {
    const headers: Record<string, string> = { accept: "application/json" };
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    let payload: string | Readable | undefined;
    if (isUpload(body)) {
      headers["content-type"] = "application/octet-stream";
      headers["content-length"] = String(body.length);
      payload = Readable.from(body.bytes);
    } else if (body !== undefined) {
      headers["content-type"] = "application/json";
      payload = JSON.stringify(body);
    }
    try {
      return await request(`${this.url}${path}`, {
        method: method as "GET", headers, ...(payload === undefined ? {} : { body: payload }),
        headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs,
      });
    } catch (error) {
      throw new CorralError(ErrorCode.REGISTRY_UNREACHABLE,
        `cannot reach the registry at ${this.url}: ${(error as Error).message}; check the URL (--registry or CORRAL_REGISTRY_URL), that the registry runs (npx corral registry) and that this machine can reach it`, { cause: error });
    }
  }

  /** The registry's own error when it sent one, else REGISTRY_UNREACHABLE. */
  private failure(status: number, text: string, path: string): CorralError {
    try {
      const { error } = JSON.parse(text) as { error: { code: string; message: string } };
      if (isErrorCode(error.code)) return new CorralError(error.code, error.message);
    } catch { /* not the registry's JSON error */ }
    return new CorralError(ErrorCode.REGISTRY_UNREACHABLE, `${this.url}${path} answered HTTP ${status}: ${text.slice(0, 200)}`);
  }
}

function isUpload(body: unknown): body is { bytes: AsyncIterable<Buffer>; length: number } {
  return typeof body === "object" && body !== null && "bytes" in body && "length" in body && typeof (body as { length: unknown }).length === "number";
}
