/** Which plugins need a plugin, directly or through others: what disabling it would break. */

/** A plugin as the dependents search reads it: its name and the names it depends on. */
export interface DependentCandidate {
  readonly name: string;
  readonly dependsOn: readonly string[];
}

/**
 * The plugins among `candidates` that depend on `name`, directly or transitively, in the order
 * of `candidates` (pass them in load order: a dependency before its dependents).
 *
 * @example
 * ```ts
 * dependentsOf("auth", [{ name: "auth", dependsOn: [] }, { name: "blog", dependsOn: ["auth"] }]); // ["blog"]
 * ```
 */
export function dependentsOf(name: string, candidates: readonly DependentCandidate[]): string[] {
  const found = new Set<string>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const candidate of candidates) {
      if (candidate.name === name || found.has(candidate.name)) continue;
      if (candidate.dependsOn.some((dependency) => dependency === name || found.has(dependency))) {
        found.add(candidate.name);
        grew = true;
      }
    }
  }
  return candidates.map((c) => c.name).filter((n) => found.has(n));
}

/** `names` as a readable list: `"blog", "shop"`. */
export function quoted(names: readonly string[]): string {
  return names.map((n) => `"${n}"`).join(", ");
}
