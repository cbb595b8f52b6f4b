/**
 * Route roles: the host refuses a request to a plugin route that the plugin's manifest guards
 * (`access`) unless the request's identity holds one of the rule's roles, before the plugin
 * sees the request. The identity is `locals.identity` from a granted identity provider (see
 * identity.ts); which plugins are granted is the host policy's `identity.providers`, crossed
 * with the manifests that ask (`providesIdentity`). Deny by default: with no granted provider,
 * every guarded route answers 401.
 */
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import type { Logger } from "../logger.ts";
import type { Manifest, ManifestAccessRule } from "../manifest/manifest.ts";
import type { IdentityPolicy } from "../policy.ts";
import { parseFingerprint } from "../static/fingerprint.ts";
import { type Identity, identityOf } from "./identity.ts";

/** Why a request is refused: who it was (null: signed out) and the rule it failed. */
export interface AccessRefusal {
  readonly identity: Identity | null;
  readonly rule: ManifestAccessRule;
}

/** What /health shows: the granted providers, the refused asks, every plugin's rules. */
export interface RouteRolesReport {
  readonly providers: readonly string[];
  /** Plugins whose manifest asks to provide identity but that the policy does not list. */
  readonly notGranted: readonly string[];
  readonly rules: Readonly<Record<string, readonly ManifestAccessRule[]>>;
}

/** The path a rule is matched against: relative to the mount, "//" collapsed, no trailing "/" (but "/"). */
export function accessPath(fullPath: string, plugin: string): string {
  const mount = `/plugins/${plugin}`;
  const rest = fullPath.startsWith(mount) ? fullPath.slice(mount.length) : fullPath;
  const collapsed = ("/" + rest).replace(/\/{2,}/g, "/");
  return collapsed.length > 1 && collapsed.endsWith("/") ? collapsed.slice(0, -1) : collapsed;
}

/** Whether `rule` covers `path` (from {@linkcode accessPath}): "/x/*" covers "/x" and below, "/*" all. */
export function ruleCovers(rule: ManifestAccessRule, path: string): boolean {
  if (rule.path.endsWith("/*")) {
    const prefix = rule.path.slice(0, -2);
    return prefix === "" || path === prefix || path.startsWith(prefix + "/");
  }
  const exact = rule.path.length > 1 && rule.path.endsWith("/") ? rule.path.slice(0, -1) : rule.path;
  return path === exact;
}

/**
 * The first rule among `rules` covering `path` that `identity` does not satisfy (every covering
 * rule must be satisfied), or undefined when the request may go on. Pure.
 */
export function failedRule(rules: readonly ManifestAccessRule[], path: string, identity: Identity | null): ManifestAccessRule | undefined {
  return rules.find((rule) => ruleCovers(rule, path) && (identity === null || !rule.roles.some((role) => identity.roles.includes(role))));
}

export class RouteRoles {
  readonly #log: Logger;
  #rules = new Map<string, readonly ManifestAccessRule[]>();
  #providers = new Set<string>();
  #notGranted: string[] = [];
  /** Where a signed-out browser is sent: the first granted provider's login page. */
  #loginUrl: string | undefined;

  constructor(log: Logger) {
    this.#log = log;
  }

  /** Takes the loaded plugins' manifests and the policy; logs the grants and the refused asks. */
  configure(manifests: readonly Manifest[], policy: IdentityPolicy): void {
    const rules = new Map<string, readonly ManifestAccessRule[]>();
    const providers = new Set<string>();
    const notGranted: string[] = [];
    let loginUrl: string | undefined;
    for (const manifest of manifests) {
      if (manifest.access !== undefined && manifest.access.length > 0) rules.set(manifest.name, manifest.access);
      if (manifest.providesIdentity === undefined) continue;
      if (!policy.providers.includes(manifest.name)) {
        notGranted.push(manifest.name);
        continue;
      }
      providers.add(manifest.name);
      const login = manifest.providesIdentity.loginPath;
      if (loginUrl === undefined && login !== undefined) loginUrl = `/plugins/${manifest.name}${login}`;
    }
    const changed = JSON.stringify([...providers]) !== JSON.stringify([...this.#providers]) ||
      JSON.stringify(notGranted) !== JSON.stringify(this.#notGranted);
    this.#rules = rules;
    this.#providers = providers;
    this.#notGranted = notGranted;
    this.#loginUrl = loginUrl;
    if (!changed) return;
    for (const name of notGranted) {
      this.#log.forPlugin(name).warn(
        `plugin "${name}" asks to provide identity (providesIdentity) but the host policy does not list it in identity.providers; ` +
          "its locals.identity is dropped and routes with access rules refuse everyone. Add it to identity.providers in the policy file to trust it",
      );
    }
    if (providers.size > 0) this.#log.info("identity providers granted", { providers: [...providers] });
  }

  /** Whether the host trusts `plugin`'s `locals.identity`. */
  mayProvideIdentity(plugin: string): boolean {
    return this.#providers.has(plugin);
  }

  /** Whether `plugin` guards any route (the host then checks every request to it). */
  guards(plugin: string): boolean {
    return this.#rules.has(plugin);
  }

  /**
   * Why the request to `fullPath` (the routed path) of `plugin` must be refused, or undefined to
   * let it through. A malformed identity counts as signed out (and is logged).
   */
  check(plugin: string, fullPath: string, locals: Readonly<Record<string, unknown>>): AccessRefusal | undefined {
    const rules = this.#rules.get(plugin);
    if (rules === undefined) return undefined;
    let identity: Identity | null;
    try {
      identity = identityOf(locals);
    } catch (error) {
      this.#log.warn(`route roles: ${(error as Error).message}; the request is treated as signed out`, { plugin, path: fullPath });
      identity = null;
    }
    const rule = failedRule(rules, accessPath(fullPath, plugin), identity);
    return rule === undefined ? undefined : { identity, rule };
  }

  /**
   * {@linkcode check} for a static file the host serves for `plugin` (`fullPath`: the routed
   * path, under `/plugins/<plugin>/static/`). A fingerprinted name is checked under its plain
   * name too ("/static/report.3f2a9c1b.pdf" as "/static/report.pdf"), so a rule naming the file
   * guards both of its URLs.
   */
  checkStatic(plugin: string, fullPath: string, locals: Readonly<Record<string, unknown>>): AccessRefusal | undefined {
    const plain = parseFingerprint(fullPath)?.path;
    return this.check(plugin, fullPath, locals) ?? (plain === undefined ? undefined : this.check(plugin, plain, locals));
  }

  /**
   * Where to send a signed-out browser for `refusal` (the login page with `next` = `url`), or
   * undefined when there is no login page or the request is not a browser's page request.
   */
  loginRedirect(refusal: AccessRefusal, method: string, accept: string | undefined, url: string): string | undefined {
    if (refusal.identity !== null || this.#loginUrl === undefined) return undefined;
    if ((method !== "GET" && method !== "HEAD") || accept === undefined || !accept.includes("text/html")) return undefined;
    return `${this.#loginUrl}?next=${encodeURIComponent(url)}`;
  }

  /** The error a refused request answers with: 401 signed out, 403 without a role. */
  error(plugin: string, refusal: AccessRefusal): CorralError {
    const roles = refusal.rule.roles.map((role) => `"${role}"`).join(" or ");
    if (refusal.identity === null) {
      const how = this.#loginUrl === undefined ? "sign in" : `sign in at ${this.#loginUrl}`;
      return new CorralError(ErrorCode.ACCESS_UNAUTHENTICATED,
        `plugin "${plugin}" allows ${refusal.rule.path} only to signed-in users with the role ${roles}; ${how} and retry`);
    }
    return new CorralError(ErrorCode.ACCESS_FORBIDDEN,
      `plugin "${plugin}" allows ${refusal.rule.path} only to the role ${roles}; user "${refusal.identity.user.name}" has ` +
        `${refusal.identity.roles.length === 0 ? "no role" : refusal.identity.roles.map((role) => `"${role}"`).join(", ")}; ask an administrator for the role`);
  }

  /** For /health: the granted providers, refused asks and rules. */
  report(): RouteRolesReport {
    return { providers: [...this.#providers], notGranted: [...this.#notGranted], rules: Object.fromEntries(this.#rules) };
  }
}
