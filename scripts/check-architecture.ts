/**
 * Keeps the architecture honest (run by `npm test`): host/ and sandbox/ never import each other,
 * schemas/ imports neither and uses no `node:` module and no Deno global, plugins/ import only
 * the SDK and libraries, and no project file takes part in an import cycle.
 *
 * Usage: node --import tsx scripts/check-architecture.ts [--help]
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

if (process.argv.includes("--help")) {
  console.log("Usage: node --import tsx scripts/check-architecture.ts\n\nFails on an import across host/ and sandbox/, a node: or Deno use in schemas/, or an import cycle.");
  process.exit(0);
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const AREAS = ["host", "sandbox", "schemas", "plugins"] as const;
type Area = typeof AREAS[number];

/** Which areas each area may import from (besides itself). */
const ALLOWED: Record<Area, readonly Area[]> = {
  host: ["schemas"],
  sandbox: ["schemas"],
  schemas: [],
  plugins: [],
};

const IMPORT_PATTERN = /(?:^|[^\w.])(?:import|export)\s[^'"`;]*?from\s*["']([^"']+)["']|(?:^|[^\w.])import\s*\(\s*["']([^"']+)["']\s*\)|(?:^|[^\w.])import\s+["']([^"']+)["']/gm;

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    if (entry === "node_modules" || entry.startsWith(".")) continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|tsx|mts|js|mjs)$/.test(entry) && !entry.endsWith(".d.ts")) out.push(path);
  }
  return out;
}

/** Deno test files beside schemas/ sources run only under `deno test`; the runtime rules skip them. */
function isTestFile(file: string): boolean {
  return file.endsWith("_test.ts");
}

function areaOf(file: string): Area | null {
  const top = relative(root, file).split("/")[0];
  return (AREAS as readonly string[]).includes(top!) ? top as Area : null;
}

function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
}

const problems: string[] = [];
const graph = new Map<string, string[]>();
for (const area of AREAS) {
  for (const file of sourceFiles(join(root, area))) {
    const source = stripComments(readFileSync(file, "utf8"));
    const edges: string[] = [];
    for (const match of source.matchAll(IMPORT_PATTERN)) {
      const specifier = match[1] ?? match[2] ?? match[3]!;
      const rel = relative(root, file);
      if (area === "schemas" && !isTestFile(file) && specifier.startsWith("node:")) problems.push(`${rel}: schemas/ must not import ${specifier}`);
      if (area === "plugins" && (specifier.includes("/host/") || specifier.includes("/sandbox/"))) {
        problems.push(`${rel}: plugins import the SDK as "@corral/sdk", never ${specifier}`);
      }
      if (!specifier.startsWith(".")) continue;
      const target = resolve(dirname(file), specifier);
      const targetArea = areaOf(target);
      if (targetArea !== null && targetArea !== area && !ALLOWED[area].includes(targetArea)) {
        problems.push(`${rel}: ${area}/ must not import from ${targetArea}/ (${specifier})`);
      }
      edges.push(target);
    }
    if (area === "schemas" && !file.includes("/generated/") && !isTestFile(file) && /\bDeno\./.test(source)) {
      problems.push(`${relative(root, file)}: schemas/ must not use the Deno global`);
    }
    graph.set(file, edges);
  }
}

// Cycles: depth-first search with colours.
const state = new Map<string, "visiting" | "done">();
const stack: string[] = [];
function visit(file: string): void {
  state.set(file, "visiting");
  stack.push(file);
  for (const next of graph.get(file) ?? []) {
    if (!graph.has(next)) continue;
    if (state.get(next) === "visiting") {
      const cycle = stack.slice(stack.indexOf(next)).concat(next).map((f) => relative(root, f));
      problems.push(`import cycle: ${cycle.join(" -> ")}`);
    } else if (!state.has(next)) visit(next);
  }
  stack.pop();
  state.set(file, "done");
}
for (const file of graph.keys()) if (!state.has(file)) visit(file);

if (problems.length > 0) {
  console.error(`architecture check failed (${problems.length} problem${problems.length === 1 ? "" : "s"}):`);
  for (const problem of problems) console.error(`  ${problem}`);
  process.exit(1);
}
console.log(`architecture check passed: ${graph.size} files, no forbidden imports, no cycles`);
