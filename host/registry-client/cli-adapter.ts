/**
 * The registry client in the shape the CLI's `outdated` and `audit` ask for
 * (host/cli/registry-client.ts: `advisories(name, version)`, `newerVersions(name, version)`).
 */
import semver from "semver";
import { HOST_VERSION } from "../version.ts";
import { RegistryClient } from "./registry-client.ts";

export interface CliRegistryClient {
  readonly url: string;
  advisories(name: string, version: string): Promise<readonly { id: string; summary: string; affects: string; severity: string }[]>;
  newerVersions(name: string, version: string): Promise<readonly { version: string; changelog?: string }[]>;
}

export function cliRegistryClient(url: string): CliRegistryClient {
  const client = new RegistryClient({ url });
  return {
    url: client.url,
    async advisories(name, version) {
      const [check] = await client.check(HOST_VERSION, [{ name, version }]);
      return (check?.advisories ?? []).map((a) => ({ id: String(a.id), summary: `${a.severity}: ${a.title}`, affects: a.affected, severity: a.severity }));
    },
    async newerVersions(name, version) {
      const [check] = await client.check(HOST_VERSION, [{ name, version }]);
      return (check?.newer ?? []).filter((v) => semver.gt(v.version, version)).map((v) => ({ version: v.version, changelog: v.changelog }));
    },
  };
}
