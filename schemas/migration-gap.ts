/**
 * One wording, shared by the runner and the host, for a plugin version started on a database
 * that has migrations applied which the version does not define (an older version, started after
 * a newer one migrated). The runner refuses before migrating anything, with this message; the
 * host reads the two lists back out of it, so an `activate` of a version no host has run yet is
 * refused with CORRAL_E_MIGRATIONS_MISSING naming the migrations, and the version's own list is
 * recorded for the next try (`undoMigrations`).
 *
 * @module
 */

const MARK = "the database has migrations applied that this version does not define: ";
const DEFINES = "; this version defines: ";
const ADVICE = ". Run a version that defines them, or undo them first with the version that applied them";

/** What a version lacks, and what it defines. */
export interface MigrationGapReport {
  /** Applied migrations the version does not define, in name order. */
  readonly missing: readonly string[];
  /** The version's own migrations, in name order. */
  readonly defined: readonly string[];
}

/**
 * The refusal message.
 *
 * @example
 * ```ts
 * describeMigrationGap({ missing: ["0002_tags"], defined: ["0001_notes"] });
 * // 'the database has migrations applied that this version does not define: ["0002_tags"]; this version defines: ["0001_notes"]. Run ...'
 * ```
 */
export function describeMigrationGap(gap: MigrationGapReport): string {
  return `${MARK}${JSON.stringify(gap.missing)}${DEFINES}${JSON.stringify(gap.defined)}${ADVICE}`;
}

/** The two lists out of a message that contains `describeMigrationGap`'s text, else undefined. */
export function parseMigrationGap(message: string): MigrationGapReport | undefined {
  const start = message.indexOf(MARK);
  if (start === -1) return undefined;
  const between = message.indexOf(DEFINES, start);
  const end = message.indexOf(ADVICE, between);
  if (between === -1 || end === -1) return undefined;
  try {
    const missing = JSON.parse(message.slice(start + MARK.length, between)) as unknown;
    const defined = JSON.parse(message.slice(between + DEFINES.length, end)) as unknown;
    if (!isNames(missing) || !isNames(defined)) return undefined;
    return { missing, defined };
  } catch {
    return undefined;
  }
}

function isNames(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === "string");
}
