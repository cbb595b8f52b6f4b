/**
 * What the CLI needs from a plugin registry (advisories, newer versions), behind an interface the
 * registry (branch feat/registry) fills. CORRAL_REGISTRY names the registry's URL; without it,
 * commands say "no registry configured" instead of guessing.
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

/** Builds the client for the environment; `factory` is where the registry's implementation plugs in. */
export let registryClientFactory: ((url: string) => RegistryClient) | undefined;

/** Installs the registry's client (called by the registry's module when it is merged). */
export function setRegistryClientFactory(factory: (url: string) => RegistryClient): void {
  registryClientFactory = factory;
}

export function registryClient(env: Readonly<Record<string, string | undefined>>): RegistryClient | undefined {
  const url = env.CORRAL_REGISTRY;
  if (url === undefined || url === "" || registryClientFactory === undefined) return undefined;
  return registryClientFactory(url.replace(/\/+$/, ""));
}
