/**
 * Partials: which ones a parsed template uses, and where each one's file is. Handlebars looks
 * partials up synchronously while rendering, so the SDK finds every partial a template needs
 * (transitively) and fetches them before it renders.
 *
 * Naming: a bare name is a file in `templates/partials/` (`{{> nav}}` is `partials/nav.hbs`);
 * a name with a slash is a path from `templates/` (`{{#> layouts/base}}` is `layouts/base.hbs`,
 * `{{> partials/forms/field}}` is `partials/forms/field.hbs`).
 *
 * @module
 */

import { templatePathOf } from "../../../schemas/template-path.ts";

/** A node of a Handlebars AST, as far as this module reads it. */
interface AstNode {
  readonly type?: string;
  readonly name?: { readonly type: string; readonly original?: unknown; readonly value?: unknown };
  readonly params?: readonly AstNode[];
  readonly path?: { readonly original?: unknown };
}

/**
 * The partial names a template refers to literally (`{{> nav}}`, `{{#> layouts/base}}`), in
 * order of appearance, each once. `@partial-block` and dynamic names (`{{> (lookup . "x")}}`)
 * are skipped: the first is Handlebars' own, the second cannot be known before rendering.
 * Names defined inline in the same template (`{{#*inline "head"}}`) are skipped too.
 */
export function partialNames(ast: unknown): string[] {
  const used = new Set<string>();
  const inline = new Set<string>();
  walk(ast, (node) => {
    if (node.type === "PartialStatement" || node.type === "PartialBlockStatement") {
      const name = literalName(node.name);
      if (name !== undefined && !name.startsWith("@")) used.add(name);
    } else if (node.type === "DecoratorBlock" && node.path?.original === "inline") {
      const first = node.params?.[0];
      if (first?.type === "StringLiteral") inline.add(String((first as { value?: unknown }).value));
    }
  });
  return [...used].filter((name) => !inline.has(name));
}

/**
 * The template path of partial `name`, or undefined when the name cannot be a path inside
 * `templates/`.
 *
 * @example
 * ```ts
 * partialPath("nav");          // "partials/nav.hbs"
 * partialPath("layouts/base"); // "layouts/base.hbs"
 * ```
 */
export function partialPath(name: string): string | undefined {
  return templatePathOf(name.includes("/") ? name : `partials/${name}`);
}

function literalName(name: AstNode["name"]): string | undefined {
  if (name === undefined) return undefined;
  if (name.type === "PathExpression" && typeof name.original === "string") return name.original;
  if (name.type === "StringLiteral" && typeof name.value === "string") return name.value;
  if (name.type === "NumberLiteral") return String(name.value);
  return undefined;
}

/** Visits every node below `value` (any object with a `type`), source locations excepted. */
function walk(value: unknown, visit: (node: AstNode) => void): void {
  if (Array.isArray(value)) {
    for (const item of value) walk(item, visit);
    return;
  }
  if (typeof value !== "object" || value === null) return;
  if (typeof (value as AstNode).type === "string") visit(value as AstNode);
  for (const [key, child] of Object.entries(value)) {
    if (key !== "loc" && typeof child === "object") walk(child, visit);
  }
}
