/**
 * The registry's JSON API as seen from a host or the CLI, over undici. One method per call the
 * CLI (`outdated`, `install <name>@<range>`, `audit`, `publish`) and the host's update check
 * make. A registry error comes back as the CorralError it sent; anything else (no answer, not
 * JSON, a proxy's page) is REGISTRY_UNREACHABLE naming the URL.
 */
import { createHash } from "node:crypto";
import { request } from "undici";
import { CorralError, ErrorCode, isErrorCode } from "../../schemas/errors.ts";
import type { Advisory, PluginSummary, UpdateCheck, VersionInfo } from "../registry/store.ts";

/**
 * The registry's JSON shapes, as its API answers them: defined once, where the registry builds
 * them (host/registry/store.ts), so client and server cannot drift apart.
 */
export type RegistryVersion = VersionInfo;
export type RegistryAdvisory = Advisory;
export type RegistryPlugin = PluginSummary;
export type RegistryCheck = UpdateCheck;

export interface PublishRequest {
  /** The package file's bytes. */
  readonly bytes: Uint8Array;
  /** plugin.json (parsed). */
  readonly manifest: unknown;
  /** Base64 Ed25519 signature. */
  readonly signature: string;
  /** PEM (SPKI) or base64 raw public key. */
  readonly publicKey: string;
  readonly keywords?: readonly string[];
  readonly changelog?: string;
}

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
  async download(name: string, version: string): Promise<{ bytes: Uint8Array; sha256: string; signature: string }> {
    const path = `/api/plugins/${encodeURIComponent(name)}/versions/${encodeURIComponent(version)}/download`;
    const { statusCode, headers, body } = await this.send("GET", path);
    const bytes = new Uint8Array(await body.arrayBuffer());
    if (statusCode !== 200) throw this.failure(statusCode, Buffer.from(bytes).toString("utf8"), path);
    const sha256 = String(headers["x-corral-sha256"] ?? "");
    const actual = createHash("sha256").update(bytes).digest("hex");
    if (sha256 !== actual) {
      throw new CorralError(ErrorCode.REGISTRY_UNREACHABLE, `${name}@${version} from ${this.url}: the bytes' SHA-256 is ${actual}, the registry says ${sha256 || "nothing"}; the download was changed in transit`);
    }
    return { bytes, sha256, signature: String(headers["x-corral-signature"] ?? "") };
  }

  async advisories(name?: string): Promise<RegistryAdvisory[]> {
    const path = name === undefined ? "/api/advisories" : `/api/plugins/${encodeURIComponent(name)}/advisories`;
    return (await this.json<{ advisories: RegistryAdvisory[] }>("GET", path)).advisories;
  }

  /** Newer versions the host can run, and advisories covering what it has, for every installed plugin. */
  async check(hostVersion: string, plugins: readonly { name: string; version: string }[]): Promise<RegistryCheck[]> {
    return (await this.json<{ plugins: RegistryCheck[] }>("POST", "/api/check", { hostVersion, plugins })).plugins;
  }

  async publish(input: PublishRequest): Promise<RegistryVersion> {
    return this.json("POST", "/api/publish", {
      package: Buffer.from(input.bytes).toString("base64"), manifest: input.manifest, signature: input.signature, publicKey: input.publicKey,
      ...(input.keywords === undefined ? {} : { keywords: input.keywords }), ...(input.changelog === undefined ? {} : { changelog: input.changelog }),
    });
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const { statusCode, body: stream } = await this.send(method, path, body);
    const text = await stream.text();
    if (statusCode >= 400) throw this.failure(statusCode, text, path);
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CorralError(ErrorCode.REGISTRY_UNREACHABLE, `${this.url}${path} answered ${statusCode} with something that is not JSON; is CORRAL_REGISTRY_URL a Corral registry?`);
    }
  }

  private async send(method: string, path: string, body?: unknown) {
    const headers: Record<string, string> = { accept: "application/json" };
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    try {
      return await request(`${this.url}${path}`, {
        method: method as "GET", headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs,
      });
    } catch (error) {
      throw new CorralError(ErrorCode.REGISTRY_UNREACHABLE, `cannot reach the registry at ${this.url}: ${(error as Error).message}; check CORRAL_REGISTRY_URL and that it runs (npx corral registry)`, { cause: error });
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
