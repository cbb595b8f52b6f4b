/**
 * The host's scheduled look at the registry: for every installed plugin, the newer versions this
 * host can run and the advisories that cover the installed version. The last result is what
 * /health (`updates`), GET /admin/updates and the dashboard show; an advisory is logged as a
 * warning the first time a check finds it for that installed version.
 */
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import type { Logger } from "../logger.ts";
import type { RegistryAdvisory, RegistryCheck, RegistryClient } from "./registry-client.ts";

/** CORRAL_REGISTRY_CHECK_MS when unset: every six hours. */
export const DEFAULT_CHECK_INTERVAL_MS = 6 * 60 * 60 * 1000;
const MIN_CHECK_INTERVAL_MS = 1000;

export interface PluginUpdate {
  readonly name: string;
  readonly installed: string;
  /** False when the registry does not know the plugin (installed from a folder). */
  readonly known: boolean;
  /** The newest version this host can run, or null when the installed one is the newest. */
  readonly latest: string | null;
  /** Newer versions, newest first, each with its changelog. */
  readonly newer: readonly { readonly version: string; readonly changelog: string; readonly review: string }[];
  /** Advisories covering the installed version: each one is a warning. */
  readonly advisories: readonly RegistryAdvisory[];
}

export interface UpdatesReport {
  /** CORRAL_REGISTRY_URL; null when the host has no registry configured (no checks run). */
  readonly registry: string | null;
  readonly intervalMs: number | null;
  /** When the last check finished (ISO), null before the first. */
  readonly checkedAt: string | null;
  /** Why the last check failed; the previous results are kept beside it. */
  readonly error?: { readonly code: string; readonly message: string };
  /** Plugins with a newer compatible version. */
  readonly available: number;
  /** Plugins whose installed version an advisory covers. */
  readonly warnings: number;
  readonly plugins: readonly PluginUpdate[];
}

export interface UpdateCheckerOptions {
  readonly client: RegistryClient;
  readonly hostVersion: string;
  /** What is installed now (read at each check). */
  readonly installed: () => readonly { name: string; version: string }[];
  readonly intervalMs: number;
  readonly log: Logger;
}

/** Reads CORRAL_REGISTRY_CHECK_MS; refuses what is not a whole number of at least 1000. */
export function checkIntervalFromEnv(env: Readonly<Record<string, string | undefined>>): number {
  const raw = env.CORRAL_REGISTRY_CHECK_MS;
  if (raw === undefined || raw === "") return DEFAULT_CHECK_INTERVAL_MS;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < MIN_CHECK_INTERVAL_MS) {
    throw new CorralError(ErrorCode.ENVIRONMENT, `CORRAL_REGISTRY_CHECK_MS must be a whole number of milliseconds of at least ${MIN_CHECK_INTERVAL_MS}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** The report of a host without a registry. */
export const NO_REGISTRY: UpdatesReport = Object.freeze({ registry: null, intervalMs: null, checkedAt: null, available: 0, warnings: 0, plugins: [] });

export class UpdateChecker {
  private last: UpdatesReport;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<UpdatesReport> | undefined;
  /** `<plugin>@<version>#<advisory id>` already logged, so each warning is logged once, not every check. */
  private readonly warned = new Set<string>();

  constructor(private readonly options: UpdateCheckerOptions) {
    this.last = { ...NO_REGISTRY, registry: options.client.url, intervalMs: options.intervalMs };
  }

  report(): UpdatesReport {
    return this.last;
  }

  /** Checks now, then every interval. */
  start(): void {
    if (this.timer !== undefined) return;
    void this.checkNow();
    this.timer = setInterval(() => void this.checkNow(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One check (joined when one is running); never throws: a failure is the report's `error`. */
  checkNow(): Promise<UpdatesReport> {
    this.running ??= this.check().finally(() => { this.running = undefined; });
    return this.running;
  }

  private async check(): Promise<UpdatesReport> {
    const { client, log } = this.options;
    const installed = this.options.installed();
    try {
      const results = installed.length === 0 ? [] : await client.check(this.options.hostVersion, installed);
      const plugins = results.map(toUpdate);
      this.logNews(plugins);
      this.last = {
        registry: client.url, intervalMs: this.options.intervalMs, checkedAt: new Date().toISOString(),
        available: plugins.filter((p) => p.latest !== null).length, warnings: plugins.filter((p) => p.advisories.length > 0).length, plugins,
      };
    } catch (error) {
      const corral = error instanceof CorralError ? error : new CorralError(ErrorCode.REGISTRY_UNREACHABLE, (error as Error).message);
      log.warn("registry check failed; plugins keep running, the last results stay", { registry: client.url, code: corral.code, error: corral.message });
      this.last = { ...this.last, checkedAt: new Date().toISOString(), error: { code: corral.code, message: corral.message } };
    }
    return this.last;
  }

  private logNews(plugins: readonly PluginUpdate[]): void {
    for (const plugin of plugins) {
      const pluginLog = this.options.log.forPlugin(plugin.name);
      for (const advisory of plugin.advisories) {
        const key = `${plugin.name}@${plugin.installed}#${advisory.id}`;
        if (this.warned.has(key)) continue;
        this.warned.add(key);
        pluginLog.warn("security advisory affects the installed version", {
          installed: plugin.installed, affected: advisory.affected, severity: advisory.severity, title: advisory.title,
          fix: plugin.latest === null ? "no fixed version yet; consider disabling the plugin" : `update to ${plugin.latest}`,
        });
      }
      const key = `${plugin.name}@${plugin.installed}->${plugin.latest}`;
      if (plugin.latest !== null && !this.warned.has(key)) {
        this.warned.add(key);
        pluginLog.info("update available", { installed: plugin.installed, latest: plugin.latest });
      }
    }
  }
}

function toUpdate(check: RegistryCheck): PluginUpdate {
  return {
    name: check.name, installed: check.installed, known: check.known, latest: check.latest?.version ?? null,
    newer: check.newer.map((v) => ({ version: v.version, changelog: v.changelog, review: v.review.status })),
    advisories: check.advisories,
  };
}
