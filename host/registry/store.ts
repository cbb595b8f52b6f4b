/**
 * The registry's queries: one method per thing the JSON API and the browse pages do. Every input
 * is checked here (the HTTP layer only parses), so bad input is refused the same way everywhere.
 */
import { sql } from "kysely";
import type { Kysely } from "kysely";
import semver from "semver";
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import type { Account } from "./accounts.ts";
import type { PermissionKind, PublishedPackage } from "./published-package.ts";
import { PERMISSION_KINDS } from "./published-package.ts";
import type { RegistryTables, ReviewStatus, Severity, ThreadKind, ThreadStatus } from "./tables.ts";
import { REVIEW_STATUSES, SEVERITIES, THREAD_KINDS, THREAD_STATUSES } from "./tables.ts";

export interface PluginSummary {
  readonly name: string;
  readonly description: string;
  readonly keywords: readonly string[];
  readonly owner: string;
  readonly latest: string | null;
  /** The security-review status of the newest version (null before the first publish). */
  readonly latestReview: ReviewStatus | null;
  /** How many advisories the plugin has (any version). */
  readonly advisories: number;
  /** The pinned signing key: a new version must be signed by it unless the owner rotates. */
  readonly keyId: string;
  readonly permissions: readonly string[];
  readonly rating: { readonly average: number | null; readonly count: number };
  readonly updatedAt: string;
}

export interface VersionInfo {
  readonly name: string;
  readonly version: string;
  readonly hostApi: string;
  readonly permissions: readonly string[];
  /** Its section of the package's CHANGELOG.md ("" when it has none). */
  readonly changelog: string;
  readonly sha256: string;
  readonly size: number;
  /** The id of the key that signed the package's file list. */
  readonly keyId: string;
  readonly publishedBy: string;
  readonly publishedAt: string;
  readonly review: { readonly status: ReviewStatus; readonly note: string | null; readonly by: string | null; readonly at: string | null };
}

/** A rotation of a plugin's pinned signing key, recorded at the publish that made it. */
export interface KeyChange {
  readonly from: string;
  readonly to: string;
  /** The version whose publish rotated the key (the first signed by `to`). */
  readonly version: string;
  readonly by: string;
  readonly at: string;
}

export interface Advisory {
  readonly id: number;
  readonly name: string;
  /** A semver range of the affected versions, e.g. "<1.2.1". */
  readonly affected: string;
  readonly severity: Severity;
  readonly title: string;
  readonly body: string;
  readonly by: string;
  readonly createdAt: string;
}

export interface Review {
  readonly user: string;
  readonly rating: number;
  readonly body: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface Thread {
  readonly id: number;
  readonly name: string;
  readonly kind: ThreadKind;
  readonly title: string;
  readonly body: string;
  readonly status: ThreadStatus;
  readonly author: string;
  readonly comments: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface Comment {
  readonly id: number;
  readonly author: string;
  readonly body: string;
  readonly createdAt: string;
}

export interface SearchQuery {
  /** Words matched against name and description (case-insensitive). */
  readonly text?: string;
  readonly keyword?: string;
  /** Kinds of access the plugin must ask for. */
  readonly needs?: readonly string[];
  /** Kinds of access it must not ask for (`without=net`: plugins that need no net). */
  readonly without?: readonly string[];
}

/** What a host learns about one installed plugin in one round trip. */
export interface UpdateCheck {
  readonly name: string;
  readonly installed: string;
  /** False when the registry does not know the plugin (installed from a folder, say). */
  readonly known: boolean;
  /** The newest version above the installed one that the host's version can run; null when none. */
  readonly latest: VersionInfo | null;
  /** Every newer compatible version, newest first, with its changelog. */
  readonly newer: readonly VersionInfo[];
  /** Advisories whose range covers the installed version. */
  readonly advisories: readonly Advisory[];
}

const MAX_TEXT = 20_000;
const iso = (value: Date | string | null): string | null => value === null ? null : new Date(value).toISOString();

function text(field: string, value: unknown, options: { required?: boolean; max?: number } = {}): string {
  if (value === undefined || value === null) {
    if (options.required) throw new CorralError(ErrorCode.REGISTRY_INVALID, `${field} is required (a string)`);
    return "";
  }
  if (typeof value !== "string") throw new CorralError(ErrorCode.REGISTRY_INVALID, `${field} must be a string, got ${typeof value}`);
  const max = options.max ?? MAX_TEXT;
  if (value.length > max) throw new CorralError(ErrorCode.REGISTRY_INVALID, `${field} must be at most ${max} characters, got ${value.length}`);
  if (options.required && value.trim() === "") throw new CorralError(ErrorCode.REGISTRY_INVALID, `${field} must not be empty`);
  return value;
}

function oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
    throw new CorralError(ErrorCode.REGISTRY_INVALID, `${field} must be one of ${allowed.join(", ")}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}

export function parseRange(field: string, value: unknown): string {
  const range = typeof value === "string" ? semver.validRange(value) : null;
  if (range === null) {
    throw new CorralError(ErrorCode.REGISTRY_INVALID, `${field} must be a semver range like "^1.2" or "<1.4.2", got ${JSON.stringify(value)}`);
  }
  return value as string;
}

function permissionList(field: string, values: readonly string[] | undefined): PermissionKind[] {
  const out: PermissionKind[] = [];
  for (const value of values ?? []) {
    if (!(PERMISSION_KINDS as readonly string[]).includes(value)) {
      throw new CorralError(ErrorCode.REGISTRY_INVALID, `${field}: unknown permission ${JSON.stringify(value)}; known: ${PERMISSION_KINDS.join(", ")}`);
    }
    out.push(value as PermissionKind);
  }
  return out;
}

function keywordList(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.length > 20 || !value.every((k) => typeof k === "string" && /^[a-z0-9][a-z0-9-]{0,39}$/.test(k))) {
    throw new CorralError(ErrorCode.REGISTRY_INVALID,
      `keywords must be an array of at most 20 lowercase words (letters, digits, "-", up to 40 characters), got ${JSON.stringify(value).slice(0, 200)}`);
  }
  return [...new Set(value as string[])];
}

export class RegistryStore {
  constructor(private readonly db: Kysely<RegistryTables>) {}

  /** Publishes a checked package; the first publisher of a name owns it. Versions never change. */
  /**
   * Stores a version. The first version's signing key becomes the plugin's; a later version
   * signed by another key is refused unless `rotateKey`, which pins the new key and records the
   * change (answered as `keyChange`).
   */
  async publish(account: Account, pkg: PublishedPackage, extra: { keywords?: unknown; rotateKey?: boolean }): Promise<VersionInfo & { keyChange: KeyChange | null }> {
    const { name, version } = pkg.manifest;
    const keywords = keywordList(extra.keywords);
    const changelog = pkg.changelog;
    await this.db.transaction().execute(async (trx) => {
      // Lock the name's row so two first publishes of one name cannot both become owner.
      await sql`select pg_advisory_xact_lock(hashtext(${"corral_registry:" + name}))`.execute(trx);
      const existing = await trx.selectFrom("packages").select(["owner_id", "key_id"]).where("name", "=", name).executeTakeFirst();
      if (existing !== undefined && existing.owner_id !== account.id) {
        const owner = await trx.selectFrom("accounts").select("name").where("id", "=", existing.owner_id).executeTakeFirstOrThrow();
        throw new CorralError(ErrorCode.REGISTRY_FORBIDDEN, `"${name}" belongs to account "${owner.name}"; publish it with that account's token, or pick another name`);
      }
      const taken = await trx.selectFrom("versions").select("version").where("name", "=", name).where("version", "=", version).executeTakeFirst();
      if (taken !== undefined) {
        throw new CorralError(ErrorCode.REGISTRY_CONFLICT, `${name}@${version} is published already and cannot change; raise the version and publish again`);
      }
      const description = pkg.manifest.description ?? "";
      // "" only for a plugin whose versions predate pinning and are all gone: its next key is pinned.
      const pinned = existing?.key_id ?? "";
      if (pinned !== "" && pinned !== pkg.keyId) {
        if (extra.rotateKey !== true) {
          throw new CorralError(ErrorCode.REGISTRY_KEY_CHANGED,
            `${name}@${version} is signed by key ${pkg.keyId}, but "${name}" is pinned to key ${pinned} (its first version's, or its last rotation's): ` +
            `sign it with that key (npx corral publish --key <its .key>); if you replaced the key on purpose, publish with --rotate-key, ` +
            `and the registry records the change for everyone who installs "${name}"`);
        }
        await trx.insertInto("key_changes").values({ name, from_key_id: pinned, to_key_id: pkg.keyId, version, changed_by: account.id }).execute();
      }
      if (existing === undefined) {
        await trx.insertInto("packages").values({ name, owner_id: account.id, description, keywords, key_id: pkg.keyId }).execute();
      } else {
        await trx.updateTable("packages").set({ description, key_id: pkg.keyId, ...(extra.keywords === undefined ? {} : { keywords }), updated_at: sql`now()` as never })
          .where("name", "=", name).execute();
      }
      await trx.insertInto("versions").values({
        name, version, manifest: JSON.stringify(pkg.manifest), permissions: [...pkg.permissions], changelog,
        bytes: pkg.bytes, sha256: pkg.sha256, signature: pkg.signature, public_key: pkg.publicKey, key_id: pkg.keyId, published_by: account.id,
      }).execute();
    });
    const keyChange = (await this.keyChanges(name)).find((change) => change.version === version) ?? null;
    return { ...(await this.version(name, version))!, keyChange };
  }

  /** Rotations of the plugin's signing key, oldest first. */
  async keyChanges(name: string): Promise<KeyChange[]> {
    const rows = await this.db.selectFrom("key_changes as k").innerJoin("accounts as a", "a.id", "k.changed_by")
      .select(["k.from_key_id", "k.to_key_id", "k.version", "a.name as by", "k.changed_at"]).where("k.name", "=", name).orderBy("k.id").execute();
    return rows.map((r) => ({ from: r.from_key_id, to: r.to_key_id, version: r.version, by: r.by, at: iso(r.changed_at)! }));
  }

  async search(query: SearchQuery): Promise<PluginSummary[]> {
    const needs = permissionList("needs", query.needs);
    const without = permissionList("without", query.without);
    let q = this.summaries();
    if (query.text !== undefined && query.text.trim() !== "") {
      for (const word of query.text.trim().toLowerCase().split(/\s+/).slice(0, 8)) {
        const like = `%${word.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        q = q.where((eb) => eb.or([eb("p.name", "ilike", like), eb("p.description", "ilike", like), sql<boolean>`${word} = any(p.keywords)`]));
      }
    }
    if (query.keyword !== undefined && query.keyword !== "") q = q.where(sql<boolean>`${query.keyword.toLowerCase()} = any(p.keywords)`);
    // Permissions are those of the newest version: what an install today would ask for.
    if (needs.length > 0) q = q.where(sql<boolean>`latest.permissions @> ${sql.val(needs)}::text[]`);
    if (without.length > 0) q = q.where(sql<boolean>`not (latest.permissions && ${sql.val(without)}::text[])`);
    return (await q.orderBy("p.name").limit(200).execute()).map(toSummary);
  }

  async plugin(name: string): Promise<PluginSummary | null> {
    const row = await this.summaries().where("p.name", "=", name).executeTakeFirst();
    return row === undefined ? null : toSummary(row);
  }

  /** Versions of `name`, newest first; only those in `range` when given. */
  async versions(name: string, range?: string): Promise<VersionInfo[]> {
    await this.requirePlugin(name);
    const rows = await this.versionRows().where("v.name", "=", name).execute();
    const all = rows.map(toVersion).sort((a, b) => semver.rcompare(a.version, b.version));
    return range === undefined ? all : all.filter((v) => semver.satisfies(v.version, range, { includePrerelease: false }));
  }

  async version(name: string, version: string): Promise<VersionInfo | null> {
    const row = await this.versionRows().where("v.name", "=", name).where("v.version", "=", version).executeTakeFirst();
    return row === undefined ? null : toVersion(row);
  }

  /** The manifest, signature and public key of one version (what an installer checks). */
  async versionDetail(name: string, version: string): Promise<{ manifest: unknown; signature: string; publicKey: string } | null> {
    const row = await this.db.selectFrom("versions").select(["manifest", "signature", "public_key"])
      .where("name", "=", name).where("version", "=", version).executeTakeFirst();
    return row === undefined ? null : { manifest: row.manifest, signature: row.signature, publicKey: row.public_key };
  }

  async download(name: string, version: string): Promise<{ bytes: Buffer; sha256: string; keyId: string } | null> {
    const row = await this.db.selectFrom("versions").select(["bytes", "sha256", "key_id"])
      .where("name", "=", name).where("version", "=", version).executeTakeFirst();
    return row === undefined ? null : { bytes: row.bytes, sha256: row.sha256, keyId: row.key_id };
  }

  async setReviewStatus(account: Account, name: string, version: string, input: { status?: unknown; note?: unknown }): Promise<VersionInfo> {
    if (account.role !== "reviewer") {
      throw new CorralError(ErrorCode.REGISTRY_FORBIDDEN, `only accounts with the reviewer role set a security-review status; "${account.name}" is a ${account.role}`);
    }
    const status = oneOf("status", input.status, REVIEW_STATUSES);
    const note = text("note", input.note, { max: 5000 });
    const result = await this.db.updateTable("versions")
      .set({ review_status: status, review_note: note === "" ? null : note, reviewed_by: account.id, reviewed_at: new Date() })
      .where("name", "=", name).where("version", "=", version).executeTakeFirst();
    if (result.numUpdatedRows === 0n) throw new CorralError(ErrorCode.REGISTRY_NOT_FOUND, `no version ${name}@${version} in the registry`);
    return (await this.version(name, version))!;
  }

  /** Creates or replaces the account's one review of the plugin. */
  async putReview(account: Account, name: string, input: { rating?: unknown; body?: unknown }): Promise<Review> {
    await this.requirePlugin(name);
    const rating = input.rating;
    if (typeof rating !== "number" || !Number.isInteger(rating) || rating < 1 || rating > 5) {
      throw new CorralError(ErrorCode.REGISTRY_INVALID, `rating must be a whole number from 1 to 5, got ${JSON.stringify(rating)}`);
    }
    const body = text("body", input.body, { max: 5000 });
    await this.db.insertInto("reviews").values({ name, account_id: account.id, rating, body })
      .onConflict((oc) => oc.columns(["name", "account_id"]).doUpdateSet({ rating, body, updated_at: sql`now()` as never }))
      .execute();
    return (await this.reviews(name)).find((r) => r.user === account.name)!;
  }

  async reviews(name: string): Promise<Review[]> {
    const rows = await this.db.selectFrom("reviews as r").innerJoin("accounts as a", "a.id", "r.account_id")
      .select(["a.name as user", "r.rating", "r.body", "r.created_at", "r.updated_at"])
      .where("r.name", "=", name).orderBy("r.updated_at", "desc").execute();
    return rows.map((r) => ({ user: r.user, rating: r.rating, body: r.body, createdAt: iso(r.created_at)!, updatedAt: iso(r.updated_at)! }));
  }

  /** A reviewer or the plugin's owner publishes an advisory for a range of its versions. */
  async addAdvisory(account: Account, name: string, input: { affected?: unknown; severity?: unknown; title?: unknown; body?: unknown }): Promise<Advisory> {
    const owner = await this.requirePlugin(name);
    if (account.role !== "reviewer" && account.id !== owner) {
      throw new CorralError(ErrorCode.REGISTRY_FORBIDDEN, `advisories for "${name}" come from its owner or a reviewer; "${account.name}" is neither`);
    }
    const affected = parseRange("affected", input.affected);
    const severity = oneOf("severity", input.severity, SEVERITIES);
    const title = text("title", input.title, { required: true, max: 200 });
    const body = text("body", input.body);
    const { id } = await this.db.insertInto("advisories").values({ name, affected, severity, title, body, created_by: account.id })
      .returning("id").executeTakeFirstOrThrow();
    return (await this.advisories(name)).find((a) => a.id === id)!;
  }

  async advisories(name?: string): Promise<Advisory[]> {
    let q = this.db.selectFrom("advisories as x").innerJoin("accounts as a", "a.id", "x.created_by")
      .select(["x.id", "x.name", "x.affected", "x.severity", "x.title", "x.body", "a.name as by", "x.created_at"]);
    if (name !== undefined) q = q.where("x.name", "=", name);
    const rows = await q.orderBy("x.id", "desc").limit(500).execute();
    return rows.map((r) => ({ id: r.id, name: r.name, affected: r.affected, severity: r.severity, title: r.title, body: r.body, by: r.by, createdAt: iso(r.created_at)! }));
  }

  /** For each installed plugin: newer versions the host can run, and advisories that cover it. */
  async check(hostVersion: string | undefined, installed: readonly { name: string; version: string }[]): Promise<UpdateCheck[]> {
    const out: UpdateCheck[] = [];
    for (const { name, version } of installed) {
      if (typeof name !== "string" || typeof version !== "string" || semver.valid(version) === null) {
        throw new CorralError(ErrorCode.REGISTRY_INVALID, `plugins[] must be {"name", "version"} with a semver version, got ${JSON.stringify({ name, version })}`);
      }
      const known = (await this.plugin(name)) !== null;
      if (!known) {
        out.push({ name, installed: version, known, latest: null, newer: [], advisories: [] });
        continue;
      }
      const newer = (await this.versions(name)).filter((v) => semver.gt(v.version, version) && semver.prerelease(v.version) === null &&
        (hostVersion === undefined || semver.satisfies(hostVersion, v.hostApi, { includePrerelease: true })));
      const advisories = (await this.advisories(name)).filter((a) => semver.satisfies(version, a.affected, { includePrerelease: true }));
      out.push({ name, installed: version, known, latest: newer[0] ?? null, newer, advisories });
    }
    return out;
  }

  async threads(name: string): Promise<Thread[]> {
    await this.requirePlugin(name);
    return (await this.threadRows().where("t.name", "=", name).orderBy("t.id", "desc").execute()).map(toThread);
  }

  async thread(id: number): Promise<{ thread: Thread; comments: Comment[] } | null> {
    const row = await this.threadRows().where("t.id", "=", id).executeTakeFirst();
    if (row === undefined) return null;
    const comments = await this.db.selectFrom("comments as c").innerJoin("accounts as a", "a.id", "c.author_id")
      .select(["c.id", "a.name as author", "c.body", "c.created_at"]).where("c.thread_id", "=", id).orderBy("c.id").execute();
    return { thread: toThread(row), comments: comments.map((c) => ({ id: c.id, author: c.author, body: c.body, createdAt: iso(c.created_at)! })) };
  }

  async openThread(account: Account, name: string, input: { kind?: unknown; title?: unknown; body?: unknown }): Promise<Thread> {
    await this.requirePlugin(name);
    const kind = oneOf("kind", input.kind, THREAD_KINDS);
    const title = text("title", input.title, { required: true, max: 200 });
    const body = text("body", input.body);
    const { id } = await this.db.insertInto("threads").values({ name, kind, title, body, author_id: account.id }).returning("id").executeTakeFirstOrThrow();
    return (await this.thread(id))!.thread;
  }

  async comment(account: Account, threadId: number, input: { body?: unknown }): Promise<Comment> {
    await this.requireThread(threadId);
    const body = text("body", input.body, { required: true });
    const { id } = await this.db.insertInto("comments").values({ thread_id: threadId, author_id: account.id, body }).returning("id").executeTakeFirstOrThrow();
    await this.db.updateTable("threads").set({ updated_at: sql`now()` as never }).where("id", "=", threadId).execute();
    return (await this.thread(threadId))!.comments.find((c) => c.id === id)!;
  }

  /** The thread's author, the plugin's owner or a reviewer sets its status. */
  async setThreadStatus(account: Account, threadId: number, input: { status?: unknown }): Promise<Thread> {
    const { authorId, name } = await this.requireThread(threadId);
    const owner = await this.requirePlugin(name);
    if (account.id !== authorId && account.id !== owner && account.role !== "reviewer") {
      throw new CorralError(ErrorCode.REGISTRY_FORBIDDEN, `thread ${threadId}'s status is set by its author, the owner of "${name}" or a reviewer`);
    }
    const status = oneOf("status", input.status, THREAD_STATUSES);
    await this.db.updateTable("threads").set({ status, updated_at: sql`now()` as never }).where("id", "=", threadId).execute();
    return (await this.thread(threadId))!.thread;
  }

  /** The owner's account id; REGISTRY_NOT_FOUND when there is no such plugin. */
  private async requirePlugin(name: string): Promise<number> {
    const row = await this.db.selectFrom("packages").select("owner_id").where("name", "=", name).executeTakeFirst();
    if (row === undefined) throw new CorralError(ErrorCode.REGISTRY_NOT_FOUND, `no plugin named "${name}" in the registry; search with GET /api/plugins?q=...`);
    return row.owner_id;
  }

  private async requireThread(id: number): Promise<{ authorId: number; name: string }> {
    const row = await this.db.selectFrom("threads").select(["author_id", "name"]).where("id", "=", id).executeTakeFirst();
    if (row === undefined) throw new CorralError(ErrorCode.REGISTRY_NOT_FOUND, `no thread ${id} in the registry`);
    return { authorId: row.author_id, name: row.name };
  }

  private summaries() {
    // The newest version by publish time stands for the plugin in listings (semver order is
    // applied to version lists; a listing only needs "what was published last").
    return this.db.selectFrom("packages as p")
      .innerJoin("accounts as o", "o.id", "p.owner_id")
      .leftJoinLateral((eb) => eb.selectFrom("versions").select(["version", "permissions", "review_status"]).whereRef("versions.name", "=", "p.name")
        .orderBy("published_at", "desc").limit(1).as("latest"), (join) => join.onTrue())
      .leftJoinLateral((eb) => eb.selectFrom("reviews").select([(e) => e.fn.avg<string | null>("rating").as("average"), (e) => e.fn.countAll<string>().as("count")])
        .whereRef("reviews.name", "=", "p.name").as("rating"), (join) => join.onTrue())
      .select(["p.name", "p.description", "p.keywords", "o.name as owner", "latest.version as latest", "latest.permissions",
        "latest.review_status as latest_review", "p.key_id", "rating.average", "rating.count", "p.updated_at",
        (eb) => eb.selectFrom("advisories").select((e) => e.fn.countAll<string>().as("n")).whereRef("advisories.name", "=", "p.name").as("advisories")]);
  }

  private versionRows() {
    return this.db.selectFrom("versions as v")
      .innerJoin("accounts as pub", "pub.id", "v.published_by")
      .leftJoin("accounts as rev", "rev.id", "v.reviewed_by")
      .select(["v.name", "v.version", "v.manifest", "v.permissions", "v.changelog", "v.sha256", "v.key_id", sql<number>`octet_length(v.bytes)`.as("size"),
        "pub.name as published_by", "v.published_at", "v.review_status", "v.review_note", "rev.name as reviewed_by", "v.reviewed_at"]);
  }

  private threadRows() {
    return this.db.selectFrom("threads as t").innerJoin("accounts as a", "a.id", "t.author_id")
      .select(["t.id", "t.name", "t.kind", "t.title", "t.body", "t.status", "a.name as author", "t.created_at", "t.updated_at",
        (eb) => eb.selectFrom("comments").select((e) => e.fn.countAll<string>().as("n")).whereRef("comments.thread_id", "=", "t.id").as("comments")]);
  }
}

type SummaryRow = {
  name: string; description: string; keywords: string[]; owner: string; latest: string | null; permissions: string[] | null;
  latest_review: ReviewStatus | null; key_id: string; advisories: string | number | null; average: string | null; count: string | null; updated_at: Date;
};

function toSummary(row: SummaryRow): PluginSummary {
  return {
    name: row.name, description: row.description, keywords: row.keywords, owner: row.owner, latest: row.latest,
    latestReview: row.latest_review, advisories: Number(row.advisories ?? 0), keyId: row.key_id,
    permissions: row.permissions ?? [],
    rating: { average: row.average === null ? null : Math.round(Number(row.average) * 10) / 10, count: Number(row.count ?? 0) },
    updatedAt: iso(row.updated_at)!,
  };
}

type VersionRow = {
  name: string; version: string; manifest: unknown; permissions: string[]; changelog: string; sha256: string; key_id: string; size: number;
  published_by: string; published_at: Date; review_status: ReviewStatus; review_note: string | null; reviewed_by: string | null; reviewed_at: Date | null;
};

function toVersion(row: VersionRow): VersionInfo {
  return {
    name: row.name, version: row.version, hostApi: String((row.manifest as { hostApi?: unknown }).hostApi ?? "*"),
    permissions: row.permissions, changelog: row.changelog, sha256: row.sha256, size: Number(row.size), keyId: row.key_id,
    publishedBy: row.published_by, publishedAt: iso(row.published_at)!,
    review: { status: row.review_status, note: row.review_note, by: row.reviewed_by, at: iso(row.reviewed_at) },
  };
}

type ThreadRow = {
  id: number; name: string; kind: ThreadKind; title: string; body: string; status: ThreadStatus; author: string;
  created_at: Date; updated_at: Date; comments: string | null;
};

function toThread(row: ThreadRow): Thread {
  return {
    id: row.id, name: row.name, kind: row.kind, title: row.title, body: row.body, status: row.status, author: row.author,
    comments: Number(row.comments ?? 0), createdAt: iso(row.created_at)!, updatedAt: iso(row.updated_at)!,
  };
}
