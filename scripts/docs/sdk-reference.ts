/**
 * The SDK reference (docs/sdk/*.md), generated from the doc comments of `@corral/sdk` and
 * `@corral/sdk/testing` with `deno doc --json`, so the reference cannot drift from the code.
 *
 * Usage: `npm run docs:sdk` writes the files; `npm run docs:sdk -- --check` exits 1 when they are
 * out of date (test/docs/sdk-reference.test.ts checks the same).
 */
import { execFile } from "node:child_process";
import { readFile, writeFile, mkdir } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { promisify } from "node:util";
import { resolveDenoBinary } from "../../host/runtime-paths.ts";

const ROOT = resolve(import.meta.dirname, "../..");
/** Each entry point of the SDK, and the page it becomes. */
const ENTRIES = [
  { module: "sandbox/sdk/mod.ts", page: "docs/sdk/sdk.md", title: "@corral/sdk" },
  { module: "sandbox/sdk/testing.ts", page: "docs/sdk/testing.md", title: "@corral/sdk/testing" },
] as const;

// deno doc --json, the parts this renderer reads.
interface TsType { repr?: string; kind?: string; value?: unknown }
interface Param { kind: string; name?: string; optional?: boolean; tsType?: TsType; left?: Param; arg?: Param }
interface JsDoc { doc?: string; tags?: { kind: string; doc?: string; name?: string }[] }
interface Member { name: string; jsDoc?: JsDoc; tsType?: TsType; params?: Param[]; returnType?: TsType; optional?: boolean; readonly?: boolean }
interface Declaration { kind: string; jsDoc?: JsDoc; def?: { params?: Param[]; returnType?: TsType; properties?: Member[]; methods?: Member[]; tsType?: TsType } }
interface DocSymbol { name: string; declarations: Declaration[] }
interface DocJson { nodes: Record<string, { module_doc?: JsDoc; symbols: DocSymbol[] }> }

/** The pages, by path relative to the project root. */
export async function renderSdkReference(): Promise<Map<string, string>> {
  const { stdout } = await promisify(execFile)(resolveDenoBinary(),
    ["doc", "--json", "--config", "deno.json", ...ENTRIES.map((entry) => entry.module)],
    { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
  const json = JSON.parse(stdout) as DocJson;
  const pages = new Map<string, string>();
  for (const entry of ENTRIES) {
    const node = Object.entries(json.nodes).find(([url]) => url.endsWith(`/${entry.module}`))?.[1];
    if (node === undefined) throw new Error(`deno doc gave nothing for ${entry.module}`);
    pages.set(entry.page, renderPage(entry.title, entry.module, node.module_doc, node.symbols));
  }
  pages.set("docs/sdk/README.md", [
    "# SDK reference",
    "",
    "Generated from the doc comments by `npm run docs:sdk` (do not edit by hand).",
    "",
    ...ENTRIES.map((entry) => `- [\`${entry.title}\`](${relative("docs/sdk", entry.page)}): \`${entry.module}\``),
    "",
  ].join("\n"));
  return pages;
}

function renderPage(title: string, module: string, moduleDoc: JsDoc | undefined, symbols: DocSymbol[]): string {
  const out = [`# ${title}`, "", `Generated from \`${module}\` by \`npm run docs:sdk\`; do not edit by hand.`, ""];
  if (moduleDoc?.doc) out.push(moduleDoc.doc.trim(), "");
  const visible = symbols.filter((symbol) => symbol.declarations.some((d) => d.kind !== "reference"))
    .sort((a, b) => a.name.localeCompare(b.name));
  out.push("## Contents", "", ...visible.map((symbol) => `- [${symbol.name}](#${anchor(symbol.name)})`), "");
  for (const symbol of visible) {
    for (const declaration of symbol.declarations.filter((d) => d.kind !== "reference")) {
      out.push(`## ${symbol.name}`, "", `*${declaration.kind}*`, "");
      if (declaration.kind === "function") out.push("```ts", `${symbol.name}(${params(declaration.def?.params)}): ${type(declaration.def?.returnType)}`, "```", "");
      if (declaration.kind === "typeAlias" && declaration.def?.tsType) out.push("```ts", `type ${symbol.name} = ${type(declaration.def.tsType)}`, "```", "");
      out.push(...docText(declaration.jsDoc));
      const members = [...(declaration.def?.properties ?? []), ...(declaration.def?.methods ?? [])];
      if (members.length > 0) {
        out.push("| Member | Type | Description |", "|---|---|---|");
        for (const member of members) {
          const signature = member.params === undefined
            ? `${member.readonly ? "readonly " : ""}${member.name}${member.optional ? "?" : ""}`
            : `${member.name}(${params(member.params)})`;
          const memberType = member.params === undefined ? type(member.tsType) : type(member.returnType);
          out.push(`| \`${cell(signature)}\` | \`${cell(memberType)}\` | ${cell((member.jsDoc?.doc ?? "").trim())} |`);
        }
        out.push("");
      }
      for (const example of examples(declaration.jsDoc)) out.push("Example:", "", example, "");
    }
  }
  return `${out.join("\n").replace(/\n{3,}/g, "\n\n").trimEnd()}\n`;
}

function docText(jsDoc: JsDoc | undefined): string[] {
  const text = (jsDoc?.doc ?? "").trim();
  return text === "" ? [] : [text.replace(/\{@linkcode ([^}]+)\}/g, "`$1`").replace(/\{@link ([^}]+)\}/g, "`$1`"), ""];
}

function examples(jsDoc: JsDoc | undefined): string[] {
  return (jsDoc?.tags ?? []).filter((tag) => tag.kind === "example" && tag.doc).map((tag) => tag.doc!.trim());
}

function params(list: Param[] | undefined): string {
  return (list ?? []).map((param) => {
    if (param.kind === "assign" && param.left) return `${param.left.name}?: ${type(param.left.tsType)}`;
    if (param.kind === "rest" && param.arg) return `...${param.arg.name}: ${type(param.arg.tsType)}`;
    return `${param.name ?? "_"}${param.optional ? "?" : ""}: ${type(param.tsType)}`;
  }).join(", ");
}

/** A readable type from deno doc's tree; falls back to its one-word `repr`. */
function type(t: TsType | undefined): string {
  if (t === undefined) return "unknown";
  const value = t.value as Record<string, unknown> | TsType[] | string | undefined;
  switch (t.kind) {
    case "keyword": return String(value);
    case "literal": return t.repr ?? "literal";
    case "union": return (value as TsType[]).map(type).join(" | ");
    case "intersection": return (value as TsType[]).map(type).join(" & ");
    case "array": return `${type(value as TsType)}[]`;
    case "typeOperator": { const v = value as { operator: string; tsType: TsType }; return `${v.operator} ${type(v.tsType)}`; }
    case "typeRef": {
      const v = value as { typeName: string; typeParams?: TsType[] };
      return v.typeParams?.length ? `${v.typeName}<${v.typeParams.map(type).join(", ")}>` : v.typeName;
    }
    default: return t.repr || (t.kind ?? "unknown");
  }
}

function anchor(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9 _-]/g, "").replace(/ /g, "-");
}

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n+/g, " ");
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const check = process.argv.includes("--check");
  const pages = await renderSdkReference();
  const stale: string[] = [];
  for (const [path, text] of pages) {
    const file = join(ROOT, path);
    if (check) {
      const current = await readFile(file, "utf8").catch(() => "");
      if (current !== text) stale.push(path);
    } else {
      await mkdir(join(file, ".."), { recursive: true });
      await writeFile(file, text);
    }
  }
  if (check && stale.length > 0) {
    console.error(`out of date: ${stale.join(", ")}; run npm run docs:sdk`);
    process.exit(1);
  }
  console.log(check ? "the SDK reference is up to date" : `wrote ${[...pages.keys()].join(", ")}`);
}
