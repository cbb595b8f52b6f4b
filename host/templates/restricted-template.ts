/**
 * The template language a plugin's own error pages may use when the host renders them: text,
 * comments, `{{field}}` (escaped) of the page's data fields, and `{{#if field}}` /
 * `{{#unless field}}` blocks. Everything else (partials, helpers, `{{{ }}}`, sub-expressions,
 * decorators, `@data`) is refused: the host compiles these templates in its own process, and a
 * plugin's files are untrusted input there. Only an AST made of these nodes reaches Handlebars'
 * compiler, whose output for it is a few string concatenations.
 */
import Handlebars from "handlebars";

/** The data fields an error page gets. */
export const ERROR_PAGE_FIELDS: ReadonlySet<string> = new Set(["status", "statusText", "code", "message", "requestId", "plugin"]);

const BLOCK_HELPERS = new Set(["if", "unless"]);

type Node = hbs.AST.Node;

/**
 * Parses `source` and checks it against the restricted language.
 *
 * @returns The compiled template.
 * @throws {Error} naming the first construct that is not allowed, with its line.
 */
export function compileRestricted(source: string): HandlebarsTemplateDelegate {
  const ast = Handlebars.parse(source);
  checkProgram(ast);
  return RESTRICTED_ENV.compile(ast, { knownHelpers: { if: true, unless: true }, knownHelpersOnly: true, noEscape: false });
}

const RESTRICTED_ENV = Handlebars.create();

function checkProgram(program: hbs.AST.Program): void {
  for (const statement of program.body) checkStatement(statement);
}

function checkStatement(node: Node): void {
  switch (node.type) {
    case "ContentStatement":
    case "CommentStatement":
      return;
    case "MustacheStatement": {
      const mustache = node as hbs.AST.MustacheStatement;
      if (!mustache.escaped) refuse(node, "{{{ }}} (unescaped output)");
      if (mustache.params.length > 0 || mustache.hash !== undefined) refuse(node, "a helper call");
      checkField(mustache.path, node);
      return;
    }
    case "BlockStatement": {
      const block = node as hbs.AST.BlockStatement;
      const name = (block.path as hbs.AST.PathExpression).original;
      if (block.path.type !== "PathExpression" || !BLOCK_HELPERS.has(name)) refuse(node, `the block {{#${String(name)}}}`);
      if (block.params.length !== 1 || block.hash !== undefined) refuse(node, `{{#${name}}} with other than one field`);
      checkField(block.params[0]!, node);
      if (block.program) checkProgram(block.program);
      if (block.inverse) checkProgram(block.inverse);
      return;
    }
    default:
      refuse(node, describe(node.type));
  }
}

function checkField(expression: Node, at: Node): void {
  const path = expression as hbs.AST.PathExpression;
  if (expression.type !== "PathExpression" || path.data || path.depth !== 0 || path.parts.length !== 1 || !ERROR_PAGE_FIELDS.has(path.parts[0]!)) {
    refuse(at, `the value ${JSON.stringify((path as { original?: unknown }).original ?? expression.type)} (allowed: ${[...ERROR_PAGE_FIELDS].join(", ")})`);
  }
}

function describe(type: string): string {
  if (type.startsWith("Partial")) return "a partial";
  if (type.startsWith("Decorator")) return "a decorator";
  return type;
}

function refuse(node: Node, what: string): never {
  throw new Error(`line ${node.loc?.start.line ?? "?"}: ${what} is not allowed in a plugin's error page`);
}
