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

/**
 * Where `markdown`'s code fences go wrong (read as GitHub does: a fence closes with a bare line of
 * the same character, at least as long). A lost closing fence swallows the prose and headings
 * after it, as a bad text merge once did to writing-plugins.md and operating.md, and the page can
 * still have an even number of fences, so three signs are checked: a fence still open at the end,
 * an opening fence with a language (```ts) inside a fence, and a heading of level 2 or more
 * (`## `) inside a fence (a shell comment has one `#`).
 */
function fenceProblems(markdown: string): string[] {
  const problems: string[] = [];
  let fence: { marker: string; line: number } | undefined;
  markdown.split("\n").forEach((line, index) => {
    const at = index + 1;
    const match = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(line);
    if (fence === undefined) {
      if (match !== null) fence = { marker: match[1], line: at };
      return;
    }
    if (match !== null && match[1][0] === fence.marker[0] && match[1].length >= fence.marker.length) {
      if (match[2].trim() === "") fence = undefined;
      else problems.push(`line ${at} opens a fence (${line.trim()}) inside the fence opened at line ${fence.line}: close that one first`);
    } else if (/^#{2,6} /.test(line)) {
      problems.push(`line ${at} is a heading (${line.trim()}) inside the fence opened at line ${fence.line}: is its closing fence missing?`);
    }
  });
  if (fence !== undefined) problems.push(`the fence opened at line ${fence.line} is never closed`);
  return problems;
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

test("the fence check finds a lost closing fence, even when the page's fence count is even", () => {
  // The Templates example lost its closing fence, so "## Events" and the json example fall inside it.
  const merged = ["## Templates", "```ts", "render(c);", "## Events", "```json", "{}", "```", "", "```sh", "# a shell comment", "```", "```"].join("\n");
  assert.equal(fenceProblems(merged), [
    "line 4 is a heading (## Events) inside the fence opened at line 2: is its closing fence missing?",
    "line 5 opens a fence (```json) inside the fence opened at line 2: close that one first",
    "the fence opened at line 12 is never closed",
  ]);
  assert.equal(fenceProblems("text\n```ts\nrender(c);\n"), ["the fence opened at line 2 is never closed"]);
  assert.equal(fenceProblems(["```sh", "# a shell comment", "```", "````md", "```ts", "x", "```", "````"].join("\n")), []);
});

test("every page in docs/ and README.md closes every code fence it opens", async () => {
  const files = [join(ROOT, "README.md"), ...await markdownFiles(join(ROOT, "docs"))];
  const problems: string[] = [];
  for (const file of files) {
    for (const problem of fenceProblems(await readFile(file, "utf8"))) problems.push(`${relative(ROOT, file)}: ${problem}`);
  }
  assert.equal(problems, [], `unbalanced code fences:\n${problems.join("\n")}`);
});

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
      if (hash !== undefined && hash !== "" && destination.endsWith(".md") && !anchors(await readFile(destination, "utf8")).has(hash)) {
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
