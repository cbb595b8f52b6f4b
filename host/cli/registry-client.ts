/**
 * What the CLI needs from a plugin registry (advisories, newer versions), behind an interface
 * that host/registry-client/cli-adapter.ts fills. CORRAL_REGISTRY_URL (the host's variable too)
 * names the registry's URL; without it, commands say "no registry configured" instead of guessing.
 */
export interface RegistryAdvisory {
  readonly id: string;
  readonly summary: string;
  /** The semver range of affected versions. */
  readonly affects: string;
}

export interface RegistryRelease {
  readonly version: string;
  readonly changelog?: string;
}

export interface RegistryClient {
  readonly url: string;
  /** Advisories that affect `name` at `version`. */
  advisories(name: string, version: string): Promise<readonly RegistryAdvisory[]>;
  /** Versions of `name` newer than `version` that this host's API accepts, newest first. */
  newerVersions(name: string, version: string): Promise<readonly RegistryRelease[]>;
}

/** A replacement for the registry's client (host/registry-client/cli-adapter.ts), e.g. a stand-in in tests. */
export let registryClientFactory: ((url: string) => RegistryClient) | undefined;

/** Replaces the registry's client. */
export function setRegistryClientFactory(factory: (url: string) => RegistryClient): void {
  registryClientFactory = factory;
}

/** The client for CORRAL_REGISTRY_URL (or CORRAL_REGISTRY); undefined when neither is set. Loaded lazily: `corral --help` stays fast. */
export async function registryClient(env: Readonly<Record<string, string | undefined>>): Promise<RegistryClient | undefined> {
  const url = env.CORRAL_REGISTRY_URL || env.CORRAL_REGISTRY;
  if (url === undefined || url === "") return undefined;
  const factory = registryClientFactory ?? (await import("../registry-client/cli-adapter.ts")).cliRegistryClient;
  return factory(url.replace(/\/+$/, ""));
}
