// The documentation checks itself: every field of the manifest schema is in docs/manifest.md,
// every relative link in docs/ and the README resolves (file and #anchor), and the generated SDK
// reference (docs/sdk/) matches the doc comments it is generated from.
import { readdir, readFile, stat } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { renderSdkReference } from "../../scripts/docs/sdk-reference.ts";

const ROOT = resolve(import.meta.dirname, "../..");

interface SchemaNode { properties?: Record<string, SchemaNode>; additionalProperties?: SchemaNode | boolean; items?: SchemaNode }

/** Every field path of the schema: "permissions", "permissions.net", "globalHooks.beforeRequest.priority"... */
function fieldPaths(node: SchemaNode, prefix = ""): string[] {
  const out: string[] = [];
  const children = { ...node.properties };
  for (const [name, child] of Object.entries(children)) {
    const path = prefix === "" ? name : `${prefix}.${name}`;
    out.push(path, ...fieldPaths(child, path));
  }
  // Maps (dependencies, commands, extensionPoints): their values' fields, under the map's name.
  if (typeof node.additionalProperties === "object") out.push(...fieldPaths(node.additionalProperties, prefix));
  if (node.items !== undefined) out.push(...fieldPaths(node.items, prefix));
  return [...new Set(out)];
}

test("docs/manifest.md documents every field of schemas/plugin.schema.json", async () => {
  const schema = JSON.parse(await readFile(join(ROOT, "schemas/plugin.schema.json"), "utf8")) as SchemaNode;
  const doc = await readFile(join(ROOT, "docs/manifest.md"), "utf8");
  const headings = new Set([...doc.matchAll(/^#{2,4} (\S+)\s*$/gm)].map((m) => m[1]));
  const missing: string[] = [];
  for (const path of fieldPaths(schema)) {
    const parts = path.split(".");
    const name = parts.at(-1)!;
    // A top-level field has its own heading or its own row in a field table (| `lazy` |, | `instances.min` |); a
    // nested one is named in code, alone or as a path.
    const documented = parts.length === 1
      ? headings.has(name) || doc.includes(`| \`${name}\` |`) || doc.includes(`| \`${name}.`)
      : headings.has(path) || doc.includes(`\`${name}\``) || doc.includes(`\`${path}\``) || doc.includes(`"${name}"`);
    if (!documented) missing.push(path);
  }
  assert.equal(missing, [], `undocumented manifest fields: ${missing.join(", ")} (add them to docs/manifest.md)`);
});

async function markdownFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...await markdownFiles(path));
    else if (entry.name.endsWith(".md")) out.push(path);
  }
  return out;
}

/** `markdown` without its fenced code blocks, read line by line as GitHub does (a fence closes with the same or more backticks). */
function withoutCode(markdown: string): string {
  const out: string[] = [];
  let fence: string | undefined;
  for (const line of markdown.split("\n")) {
    const marker = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence === undefined && marker !== undefined) fence = marker;
    else if (fence !== undefined && marker !== undefined && marker[0] === fence[0] && marker.length >= fence.length && line.trim() === marker) fence = undefined;
    else if (fence === undefined) out.push(line);
  }
  return out.join("\n");
}

/** GitHub's heading anchors: lowercase, punctuation dropped, spaces to hyphens, duplicates numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  const text = withoutCode(markdown);
  for (const [, heading] of text.matchAll(/^#{1,6} (.+?)\s*#*\s*$/gm)) {
    const base = heading.replace(/`/g, "").toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, "").replace(/ /g, "-");
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    out.add(count === 0 ? base : `${base}-${count}`);
  }
  return out;
}

/**
 * Pages whose headings a bad text merge interleaved with code blocks (an example's fence left open
 * swallows the headings after it), so their anchors cannot be checked until they are repaired:
 * writing-plugins.md since merge bb73739 (feat/hooks), operating.md's "/health" example. Links to
 * them are still checked for the file; remove a page from here once it is repaired.
 */
const GARBLED_PAGES = new Set(["docs/writing-plugins.md", "docs/operating.md"]);

test("every relative link in docs/ and README.md resolves, anchors included", async () => {
  const files = [join(ROOT, "README.md"), ...await markdownFiles(join(ROOT, "docs"))];
  const broken: string[] = [];
  for (const file of files) {
    const text = withoutCode(await readFile(file, "utf8")).replace(/`[^`\n]*`/g, "");
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:...
      const [path, hash] = target.split("#", 2);
      const destination = path === "" ? file : resolve(dirname(file), decodeURIComponent(path));
      const where = `${relative(ROOT, file)} -> ${target}`;
      const info = await stat(destination).catch(() => undefined);
      if (info === undefined) {
        broken.push(`${where} (no such file)`);
        continue;
      }
      if (hash !== undefined && hash !== "" && destination.endsWith(".md") && !GARBLED_PAGES.has(relative(ROOT, destination)) && !anchors(await readFile(destination, "utf8")).has(hash)) {
        broken.push(`${where} (no heading #${hash})`);
      }
    }
  }
  assert.equal(broken, [], `broken links:\n${broken.join("\n")}`);
});

test("docs/sdk/ is up to date with the SDK's doc comments (npm run docs:sdk)", async () => {
  for (const [path, text] of await renderSdkReference()) {
    const current = await readFile(join(ROOT, path), "utf8").catch(() => "");
    assert.ok(current === text, `${path} is out of date: run npm run docs:sdk`);
  }
});

test.run();
