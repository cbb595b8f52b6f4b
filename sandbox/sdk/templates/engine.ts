/**
 * The Handlebars side of rendering: one isolated Handlebars environment per plugin with its
 * helpers and the host's, compiling a source into a template that knows its partials, and running
 * it. Loaded on demand (Handlebars costs ~30 ms to load), so plugins without templates never pay.
 *
 * @module
 */

import Handlebars from "handlebars";
import { CorralError, ErrorCode } from "../../../schemas/errors.ts";
import { hostHelpers, type HostRenderData } from "./host-values.ts";
import { partialNames } from "./partials.ts";
import type { TemplateHelper } from "./types.ts";

/** One compiled template and the partial names it uses. */
export interface CompiledTemplate {
  readonly path: string;
  readonly partials: readonly string[];
  readonly run: HandlebarsTemplateDelegate;
}

/** Compiles and runs templates for one plugin. */
export interface Engine {
  /** @throws CorralError TEMPLATE_FAILED when `source` does not parse. */
  compile(path: string, source: string): CompiledTemplate;
  /** @throws CorralError TEMPLATE_FAILED when the template, a partial or a helper fails. */
  run(
    template: CompiledTemplate,
    context: Readonly<Record<string, unknown>>,
    partials: Readonly<Record<string, HandlebarsTemplateDelegate>>,
    data: HostRenderData,
  ): string;
}

/**
 * Escaping stays on (`{{x}}` escapes, `{{{x}}}` opts out) and so do Handlebars' prototype-access
 * protections (a template cannot read `constructor`, `__proto__` or inherited properties of data).
 */
const COMPILE_OPTIONS: CompileOptions = Object.freeze({ noEscape: false, strict: false });

/** An engine with the host helpers and `helpers` registered. */
export function createEngine(helpers: Readonly<Record<string, TemplateHelper>>): Engine {
  const hb = Handlebars.create();
  hb.registerHelper({ ...helpers, ...hostHelpers } as unknown as Record<string, Handlebars.HelperDelegate>);
  return {
    compile(path, source) {
      let ast: hbs.AST.Program;
      try {
        ast = hb.parse(source);
      } catch (error) {
        throw new CorralError(ErrorCode.TEMPLATE_FAILED, `template "${path}" does not compile: ${messageOf(error)}`);
      }
      return Object.freeze({ path, partials: Object.freeze(partialNames(ast)), run: hb.compile(ast, COMPILE_OPTIONS) });
    },
    run(template, context, partials, data) {
      try {
        return template.run(context, { partials, data: { corral: data } });
      } catch (error) {
        throw new CorralError(ErrorCode.TEMPLATE_FAILED, `template "${template.path}" failed: ${messageOf(error)}`, { cause: error });
      }
    },
  };
}

function messageOf(error: unknown): string {
  // Handlebars' own messages carry the line and a source excerpt; keep them on one line for logs.
  return (error instanceof Error ? error.message : String(error)).replace(/\n+/g, " ").trim();
}
