/** Kysely's view of the registry's tables (schema corral_registry, host/registry/migrations.ts). */
import type { ColumnType, Generated } from "kysely";

type Stamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface RegistryTables {
  accounts: { id: Generated<number>; name: string; role: AccountRole; token_hash: string; created_at: Stamp };
  packages: { name: string; owner_id: number; description: string; keywords: string[]; key_id: string; created_at: Stamp; updated_at: Stamp };
  key_changes: { id: Generated<number>; name: string; from_key_id: string; to_key_id: string; version: string; changed_by: number; changed_at: Stamp };
  versions: {
    name: string; version: string; manifest: ColumnType<unknown, string, never>; permissions: string[]; changelog: string;
    bytes: Buffer; sha256: string; signature: string; public_key: string; key_id: string; published_by: number; published_at: Stamp;
    review_status: Generated<ReviewStatus>; review_note: string | null; reviewed_by: number | null; reviewed_at: Date | null;
  };
  reviews: { name: string; account_id: number; rating: number; body: string; created_at: Stamp; updated_at: Stamp };
  advisories: {
    id: Generated<number>; name: string; affected: string; severity: Severity; title: string; body: string;
    created_by: number; created_at: Stamp;
  };
  threads: {
    id: Generated<number>; name: string; kind: ThreadKind; title: string; body: string; status: Generated<ThreadStatus>;
    author_id: number; created_at: Stamp; updated_at: Stamp;
  };
  comments: { id: Generated<number>; thread_id: number; author_id: number; body: string; created_at: Stamp };
}

export type AccountRole = "publisher" | "reviewer";
export type ReviewStatus = "unreviewed" | "approved" | "rejected";
export type Severity = "low" | "moderate" | "high" | "critical";
export type ThreadKind = "issue" | "feature";
export type ThreadStatus = "open" | "planned" | "closed";

export const REVIEW_STATUSES: readonly ReviewStatus[] = ["unreviewed", "approved", "rejected"];
export const SEVERITIES: readonly Severity[] = ["low", "moderate", "high", "critical"];
export const THREAD_KINDS: readonly ThreadKind[] = ["issue", "feature"];
export const THREAD_STATUSES: readonly ThreadStatus[] = ["open", "planned", "closed"];
