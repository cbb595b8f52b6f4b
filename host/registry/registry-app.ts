/**
 * The registry's HTTP surface as a Hono app: the JSON API under /api (what the CLI and hosts use)
 * and the server-rendered browse pages at / (Handlebars, no front-end build). Errors are the
 * host's JSON errors (`{ error: { code, message } }`) with the host's status mapping.
 */
import { Hono } from "hono";
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Kysely } from "kysely";
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import { errorAnswer } from "../http/error-response.ts";
import type { Account } from "./accounts.ts";
import { accountForToken } from "./accounts.ts";
import { renderBrowsePage } from "./browse/views.ts";
import { PERMISSION_KINDS, readPublishedPackage } from "./published-package.ts";
import type { SearchQuery } from "./store.ts";
import { parseRange, RegistryStore } from "./store.ts";
import type { RegistryTables } from "./tables.ts";

/** The largest package a publish accepts (the body is the .corral file itself). */
export const MAX_PUBLISH_BYTES = 32 * 1024 * 1024;
const MAX_JSON_BYTES = 256 * 1024;

export interface RegistryAppOptions {
  readonly db: Kysely<RegistryTables>;
  /** Told about every publish, review status and advisory (the registry's own log). */
  readonly onEvent?: (event: string, fields: Record<string, unknown>) => void;
}

type Env = { Variables: { account: Account } };

export function createRegistryApp(options: RegistryAppOptions): Hono<Env> {
  const store = new RegistryStore(options.db);
  const event = options.onEvent ?? (() => {});
  const app = new Hono<Env>();

  app.onError((error, c) => {
    const answer = errorAnswer(error instanceof SyntaxError ? new CorralError(ErrorCode.REGISTRY_INVALID, `the body is not valid JSON: ${error.message}`) : error);
    if (answer.status === 500) console.error("registry: internal error", error);
    return c.body(answer.body, answer.status as 500, answer.headers);
  });
  app.notFound((c) => {
    const answer = errorAnswer(new CorralError(ErrorCode.REGISTRY_NOT_FOUND, `no route ${c.req.method} ${c.req.path}; see docs/registry.md`));
    return c.body(answer.body, 404, answer.headers);
  });

  /** The account behind the bearer token; REGISTRY_AUTH without one. */
  const signedIn = async (c: Context<Env>, next: () => Promise<void>) => {
    const header = c.req.header("authorization") ?? "";
    const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    const account = token === undefined ? null : await accountForToken(options.db, token);
    if (account === null) {
      throw new CorralError(ErrorCode.REGISTRY_AUTH, token === undefined
        ? "this needs a registry account: send Authorization: Bearer <token> (the registry's operator creates one with npx corral registry account <name>)"
        : "the registry does not know this token; ask its operator for a new one");
    }
    c.set("account", account);
    await next();
  };
  const smallBody = bodyLimit({ maxSize: MAX_JSON_BYTES, onError: () => { throw new CorralError(ErrorCode.BODY_TOO_LARGE, `the body is over ${MAX_JSON_BYTES} bytes`); } });
  const json = async (c: Context<Env>): Promise<Record<string, unknown>> => {
    const body: unknown = await c.req.json();
    if (typeof body !== "object" || body === null || Array.isArray(body)) throw new CorralError(ErrorCode.REGISTRY_INVALID, "the body must be a JSON object");
    return body as Record<string, unknown>;
  };
  const found = <T>(value: T | null, what: string): T => {
    if (value === null) throw new CorralError(ErrorCode.REGISTRY_NOT_FOUND, `no ${what} in the registry`);
    return value;
  };
  const threadId = (c: Context<Env>): number => {
    const id = Number(c.req.param("id"));
    if (!Number.isSafeInteger(id) || id <= 0) throw new CorralError(ErrorCode.REGISTRY_INVALID, `a thread id is a positive whole number, got ${JSON.stringify(c.req.param("id"))}`);
    return id;
  };

  // --- JSON API -------------------------------------------------------------------------------

  /**
   * The body is the signed `.corral` file (application/octet-stream); `?keywords=a,b` sets the
   * plugin's keywords. Manifest, changelog and signer come from inside the package.
   */
  app.post("/api/publish", bodyLimit({ maxSize: MAX_PUBLISH_BYTES, onError: () => { throw new CorralError(ErrorCode.BODY_TOO_LARGE, `a package is at most ${MAX_PUBLISH_BYTES} bytes`); } }),
    signedIn, async (c) => {
      const type = c.req.header("content-type") ?? "";
      if (!type.startsWith("application/octet-stream")) {
        throw new CorralError(ErrorCode.REGISTRY_INVALID,
          `send the .corral file itself as the body with content-type application/octet-stream (got ${JSON.stringify(type)}); npx corral publish does`);
      }
      const pkg = readPublishedPackage(Buffer.from(await c.req.arrayBuffer()));
      const keywords = c.req.query("keywords");
      const rotateKey = c.req.query("rotateKey") === "1" || c.req.query("rotateKey") === "true";
      const version = await store.publish(c.get("account"), pkg, {
        rotateKey, ...(keywords === undefined ? {} : { keywords: keywords.split(",").map((k) => k.trim()).filter((k) => k !== "") }),
      });
      event("published", { plugin: version.name, version: version.version, by: c.get("account").name, sha256: version.sha256, keyId: version.keyId });
      if (version.keyChange !== null) event("signing key rotated", { plugin: version.name, version: version.version, from: version.keyChange.from, to: version.keyChange.to, by: version.keyChange.by });
      return c.json(version, 201);
    });

  /** Who a token belongs to (corral login checks a token with it). */
  app.get("/api/account", signedIn, (c) => c.json({ name: c.get("account").name, role: c.get("account").role }));

  app.get("/api/plugins", async (c) => c.json({ plugins: await store.search(searchQuery(c)) }));

  app.get("/api/plugins/:name", async (c) => {
    const name = c.req.param("name");
    const plugin = found(await store.plugin(name), `plugin named "${name}"`);
    return c.json({ ...plugin, versions: await store.versions(name), advisories: await store.advisories(name), keyChanges: await store.keyChanges(name) });
  });

  app.get("/api/plugins/:name/versions", async (c) => {
    const rangeParam = c.req.query("range");
    const range = rangeParam === undefined ? undefined : parseRange("range", rangeParam);
    return c.json({ name: c.req.param("name"), range: range ?? null, versions: await store.versions(c.req.param("name"), range) });
  });

  app.get("/api/plugins/:name/versions/:version", async (c) => {
    const { name, version } = c.req.param();
    const info = found(await store.version(name, version), `version ${name}@${version}`);
    return c.json({ ...info, ...(await store.versionDetail(name, version)) });
  });

  app.get("/api/plugins/:name/versions/:version/download", async (c) => {
    const { name, version } = c.req.param();
    const file = found(await store.download(name, version), `version ${name}@${version}`);
    return c.body(new Uint8Array(file.bytes), 200, {
      "content-type": "application/octet-stream",
      "content-disposition": `attachment; filename="${name}-${version}.corral"`,
      "x-corral-sha256": file.sha256,
      "x-corral-key-id": file.keyId,
      // A published version never changes.
      "cache-control": "public, max-age=31536000, immutable",
    });
  });

  app.post("/api/plugins/:name/versions/:version/review", smallBody, signedIn, async (c) => {
    const { name, version } = c.req.param();
    const info = await store.setReviewStatus(c.get("account"), name, version, await json(c));
    event("review status", { plugin: name, version, status: info.review.status, by: c.get("account").name });
    return c.json(info);
  });

  app.get("/api/plugins/:name/reviews", async (c) => c.json({ reviews: await store.reviews(c.req.param("name")) }));
  app.put("/api/plugins/:name/reviews", smallBody, signedIn, async (c) => c.json(await store.putReview(c.get("account"), c.req.param("name"), await json(c))));

  app.get("/api/plugins/:name/advisories", async (c) => c.json({ advisories: await store.advisories(c.req.param("name")) }));
  app.post("/api/plugins/:name/advisories", smallBody, signedIn, async (c) => {
    const advisory = await store.addAdvisory(c.get("account"), c.req.param("name"), await json(c));
    event("advisory", { plugin: advisory.name, affected: advisory.affected, severity: advisory.severity, by: advisory.by });
    return c.json(advisory, 201);
  });
  app.get("/api/advisories", async (c) => c.json({ advisories: await store.advisories() }));

  app.get("/api/plugins/:name/threads", async (c) => c.json({ threads: await store.threads(c.req.param("name")) }));
  app.post("/api/plugins/:name/threads", smallBody, signedIn, async (c) => c.json(await store.openThread(c.get("account"), c.req.param("name"), await json(c)), 201));
  app.get("/api/threads/:id", async (c) => c.json(found(await store.thread(threadId(c)), `thread ${c.req.param("id")}`)));
  app.post("/api/threads/:id/comments", smallBody, signedIn, async (c) => c.json(await store.comment(c.get("account"), threadId(c), await json(c)), 201));
  app.post("/api/threads/:id/status", smallBody, signedIn, async (c) => c.json(await store.setThreadStatus(c.get("account"), threadId(c), await json(c))));

  /**
   * A host's update check in one round trip: `{ hostVersion, plugins: [{ name, version }] }` →
   * per plugin the newer versions it can run (with changelogs) and the advisories that cover it.
   */
  app.post("/api/check", smallBody, async (c) => {
    const body = await json(c);
    if (!Array.isArray(body.plugins) || body.plugins.length > 1000) {
      throw new CorralError(ErrorCode.REGISTRY_INVALID, "plugins must be an array (at most 1000) of {\"name\", \"version\"}");
    }
    const hostVersion = typeof body.hostVersion === "string" ? body.hostVersion : undefined;
    return c.json({ plugins: await store.check(hostVersion, body.plugins as { name: string; version: string }[]) });
  });

  // --- Browse pages -------------------------------------------------------------------------

  const page = (c: Context<Env>, name: Parameters<typeof renderBrowsePage>[0], data: Record<string, unknown>, status = 200) =>
    c.html(renderBrowsePage(name, data), status as 200, {
      // Nothing on these pages runs script; user text is escaped by Handlebars and CSP is the second wall.
      "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
      "x-content-type-options": "nosniff",
    });

  app.get("/", async (c) => {
    const query = searchQuery(c);
    return page(c, "index", {
      title: "Corral plugins", plugins: await store.search(query), q: query.text ?? "", keyword: query.keyword ?? "",
      without: (query.without ?? []).join(","), kinds: PERMISSION_KINDS, advisories: (await store.advisories()).slice(0, 20),
    });
  });

  app.get("/plugins/:name", async (c) => {
    const name = c.req.param("name");
    const plugin = await store.plugin(name);
    if (plugin === null) return page(c, "missing", { title: "Not found", what: `plugin "${name}"` }, 404);
    const [versions, advisories, reviews, threads, keyChanges] = await Promise.all([
      store.versions(name), store.advisories(name), store.reviews(name), store.threads(name), store.keyChanges(name)]);
    return page(c, "plugin", { title: name, plugin, versions, advisories, reviews, threads, keyChanges });
  });

  app.get("/threads/:id", async (c) => {
    const found = await store.thread(threadId(c));
    if (found === null) return page(c, "missing", { title: "Not found", what: `thread ${c.req.param("id")}` }, 404);
    return page(c, "thread", { title: found.thread.title, ...found });
  });

  return app;
}

function searchQuery(c: Context<Env>): SearchQuery {
  const list = (value: string | undefined) => value === undefined || value === "" ? undefined : value.split(",").map((v) => v.trim()).filter((v) => v !== "");
  const needs = list(c.req.query("needs"));
  const without = list(c.req.query("without"));
  const text = c.req.query("q");
  const keyword = c.req.query("keyword");
  return {
    ...(text === undefined ? {} : { text }), ...(keyword === undefined ? {} : { keyword }),
    ...(needs === undefined ? {} : { needs }), ...(without === undefined ? {} : { without }),
  };
}
