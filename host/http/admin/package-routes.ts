/**
 * `POST /admin/plugins/install-package` (plugins.manage): installs a `.corral` package sent as the
 * request body. Every check happens before anything is stored: the archive's shape, each file
 * against the file list (changed, missing, extra: refused by name), the manifest, the host API
 * range, dependencies, the signature against the host's trusted keys and policy, and, when a
 * version of the plugin runs, the permission review (an escalation is refused unless
 * `?acceptPermissions=1`). Then the files go through the manager's install of a folder, and with
 * `?activate=1` the version is activated.
 */
import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import semver from "semver";
import { CorralError, ErrorCode } from "../../../schemas/errors.ts";
import type { Manifest } from "../../manifest/manifest.ts";
import { assertHostApi } from "../../manifest/host-api.ts";
import type { PluginOperations } from "../../manager/operations.ts";
import { writeVersionFiles, sha256 } from "../../manager/version-files.ts";
import { checkFiles, openPackage } from "../../packages/package.ts";
import { describeDiff, diffPermissions } from "../../packages/permission-diff.ts";
import { assertTrusted, loadTrustedKeys, trustStatus, type TrustPolicy } from "../../packages/signing.ts";
import type { AdminRoutes } from "./router.ts";
import { fail } from "./router.ts";

/** Largest package body accepted (the manager's install limit is 16 MiB of files; gzip shrinks). */
export const MAX_PACKAGE_BYTES = 32 * 1024 * 1024;

export interface PackageRoutesDependencies {
  readonly operations: PluginOperations;
  readonly dataDir: string;
  /** The policy's `packages`; in development mode both are allowed. */
  readonly trust: TrustPolicy;
  /** The manifest of the version of `name` this host runs, if any. */
  readonly runningManifest: (name: string) => Manifest | undefined;
}

export function trustedKeysDir(dataDir: string): string {
  return join(dataDir, "trusted-keys");
}

function query(value: string | undefined): boolean {
  return value === "1" || value === "true";
}

/** Dependencies must be served here, in a version within the manifest's range. */
function assertDependencies(manifest: Manifest, runningManifest: (name: string) => Manifest | undefined): void {
  for (const [dependency, range] of Object.entries(manifest.dependencies)) {
    const running = runningManifest(dependency);
    if (running === undefined) {
      throw new CorralError(ErrorCode.OPERATION_INVALID,
        `"${manifest.name}" ${manifest.version} depends on "${dependency}" ${range}, which is not installed on this host; install it first`);
    }
    if (!semver.satisfies(running.version, range, { includePrerelease: true })) {
      throw new CorralError(ErrorCode.OPERATION_INVALID,
        `"${manifest.name}" ${manifest.version} depends on "${dependency}" ${range}, but this host runs ${running.version}; update "${dependency}" first`);
    }
  }
}

export function packageRoutes(deps: PackageRoutesDependencies): AdminRoutes {
  return (router) => {
    router.post("/plugins/install-package", "plugins.manage", async (c) => {
      let staging: string | undefined;
      try {
        const declared = Number(c.req.header("content-length") ?? "0");
        if (declared > MAX_PACKAGE_BYTES) {
          throw new CorralError(ErrorCode.INSTALL_TOO_LARGE, `the package is ${declared} bytes; at most ${MAX_PACKAGE_BYTES}`);
        }
        const body = Buffer.from(await c.req.arrayBuffer());
        if (body.length === 0) {
          throw new CorralError(ErrorCode.PACKAGE_INVALID, "send the .corral file as the request body (content-type application/octet-stream)");
        }
        if (body.length > MAX_PACKAGE_BYTES) throw new CorralError(ErrorCode.INSTALL_TOO_LARGE, `the package is larger than ${MAX_PACKAGE_BYTES} bytes`);
        const pkg = openPackage(body);
        const manifest = checkFiles(pkg);
        assertHostApi(manifest.name, manifest.hostApi, "plugin/plugin.json");
        assertDependencies(manifest, deps.runningManifest);
        const keysDir = trustedKeysDir(deps.dataDir);
        const trust = trustStatus(pkg, await loadTrustedKeys(keysDir));
        assertTrusted(trust, deps.trust, keysDir);
        const running = deps.runningManifest(manifest.name);
        const diff = running === undefined ? { added: [], removed: [] } : diffPermissions(running, manifest);
        if (diff.added.length > 0 && !query(c.req.query("acceptPermissions"))) {
          throw new CorralError(ErrorCode.PERMISSION_ESCALATION,
            `"${manifest.name}" ${manifest.version} asks for more than the running ${running!.version}:\n${describeDiff(diff)}\n` +
            "review them, then send ?acceptPermissions=1 (npx corral update --accept-permissions)");
        }
        staging = join(deps.dataDir, "package-staging", `${manifest.name}-${manifest.version}-${randomBytes(6).toString("hex")}`);
        await writeVersionFiles(staging, [...pkg.files].map(([path, content]) => ({ path, content, sha256: sha256(content) })));
        const caller = c.get("caller");
        const actor = { name: caller.name, role: caller.role };
        c.set("auditDetails", { package: `${manifest.name}@${manifest.version}`, signature: trust.status, ...(diff.added.length > 0 ? { acceptedPermissions: describeDiff(diff) } : {}) });
        const installed = await deps.operations.install(staging, actor);
        const activated = query(c.req.query("activate")) ? await deps.operations.activate(manifest.name, manifest.version, actor) : undefined;
        return c.json({
          name: manifest.name,
          version: manifest.version,
          signature: trust,
          permissions: diff,
          message: activated === undefined ? installed.message : `${installed.message.split(";")[0]}; ${activated.message}`,
          activated: activated !== undefined,
          alsoChanged: activated?.alsoChanged ?? [],
        });
      } catch (error) {
        return fail(error);
      } finally {
        if (staging !== undefined) await rm(staging, { recursive: true, force: true });
      }
    });
  };
}
