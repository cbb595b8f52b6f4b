/**
 * What `outdated` and `audit` need from a plugin registry (advisories, newer versions), behind an
 * interface that host/registry-client/cli-adapter.ts fills. CORRAL_REGISTRY_URL (the host's variable too)
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

/**
 * The client for `url` (a command's --registry), else CORRAL_REGISTRY_URL (or CORRAL_REGISTRY);
 * undefined when none is set. Loaded lazily: `corral --help` stays fast.
 */
export async function registryClient(env: Readonly<Record<string, string | undefined>>, url?: string): Promise<RegistryClient | undefined> {
  const chosen = url || env.CORRAL_REGISTRY_URL || env.CORRAL_REGISTRY;
  if (chosen === undefined || chosen === "") return undefined;
  const { cliRegistryClient } = await import("../registry-client/cli-adapter.ts");
  return cliRegistryClient(chosen.replace(/\/+$/, ""));
}
