/**
 * `ctx.templates`: renders a plugin's templates in its own process, so its helpers run in the
 * sandbox. Sources come from a {@linkcode TemplateSource} (the host in production); compiled
 * templates, partials included, are cached for the life of the process until the host says a
 * file changed (`templates.invalidate`), so a warm render makes no call to the host.
 *
 * @module
 */

import { CorralError, ErrorCode } from "../../../schemas/errors.ts";
import { templatePathOf } from "../../../schemas/template-path.ts";
import type { PluginContext, TemplateOptions } from "../types.ts";
import type { CompiledTemplate, Engine } from "./engine.ts";
import { hostValues } from "./host-values.ts";
import { partialPath } from "./partials.ts";
import type { TemplateRequest, Templates, TemplateSource } from "./types.ts";

/** What {@linkcode createTemplates} needs. */
export interface TemplatesSetup {
  /** The plugin's name and mount path ("/plugins/<name>"). */
  readonly name: string;
  readonly mountPath: string;
  readonly source: TemplateSource;
  readonly options: TemplateOptions | undefined;
  /** The plugin's context, given to context processors (it may be completed after this call). */
  readonly context: PluginContext;
}

/** What the host may ask to forget: some paths, or everything (static URLs included). */
export type Invalidation = { readonly paths: readonly string[] } | { readonly all: true };

/** A cached lookup: the compiled template, or null when the file does not exist. */
type Cached = CompiledTemplate | null;

/** The internal side of a plugin's templates, for the `templates.invalidate` entry point. */
interface TemplateInternals {
  invalidate(what: Invalidation): { readonly dropped: number };
  /** Loads the engine now (a plugin that declares `templates` does so at start). */
  warm(): Promise<void>;
}

const INTERNALS = new WeakMap<Templates, TemplateInternals>();

/** Templates (and known-missing paths) kept compiled per process; far above what an app has. */
const MAX_CACHED = 2000;

/** Builds a plugin's `ctx.templates`. */
export function createTemplates(setup: TemplatesSetup): Templates {
  const { source, mountPath } = setup;
  const processors = setup.options?.contextProcessors ?? [];
  const cache = new Map<string, Promise<Cached>>();
  let staticUrls: Promise<Readonly<Record<string, string>>> | undefined;
  let engine: Promise<Engine> | undefined;

  const loadEngine = () =>
    engine ??= import("./engine.ts").then((m) => m.createEngine(setup.options?.helpers ?? {}));

  /**
   * The cached lookup of `path`. A missing file and a syntax error stay cached until the host says
   * the file changed; a failed fetch (the host did not answer) is tried again next time.
   */
  const load = (path: string, compile: Engine["compile"]): Promise<Cached> => {
    const cached = cache.get(path);
    if (cached !== undefined) return cached;
    const entry = source.get(path).then((file) => file === null ? null : compile(path, file.source));
    // Bounded, oldest first out: a plugin that renders names taken from requests cannot grow it forever.
    if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
    cache.set(path, entry);
    entry.catch((error) => {
      const compileError = error instanceof CorralError && error.code === ErrorCode.TEMPLATE_FAILED;
      if (!compileError && cache.get(path) === entry) cache.delete(path);
    });
    return entry;
  };

  const templates: Templates = Object.freeze<Templates>({
    async render(name, data = {}, c?: TemplateRequest) {
      const path = templatePathOf(name);
      if (path === undefined) {
        throw new TypeError(`template name ${JSON.stringify(name)} is not a path inside templates/: use a relative path such as "notes/list" (no "..", no leading "/" or ".")`);
      }
      const hb = await loadEngine();
      const root = await load(path, hb.compile);
      if (root === null) {
        throw new CorralError(ErrorCode.TEMPLATE_NOT_FOUND, `plugin "${setup.name}" has no template "${path}": ${source.describeMissing(path)}`);
      }
      const [partials, values, urls] = await Promise.all([
        collectPartials(root, (p) => load(p, hb.compile)),
        runProcessors(processors, c, setup.context),
        // A host without the service (or one that fails it) leaves every static file its plain URL.
        staticUrls ??= source.staticUrls().catch(() => ({})),
      ]);
      const context = { ...hostValues(c, mountPath), ...values, ...data };
      return hb.run(root, context, partials, { csrfToken: c?.env.request.csrfToken ?? "", mountPath, staticUrls: urls });
    },
  });
  INTERNALS.set(templates, {
    invalidate(what) {
      if ("all" in what) {
        const dropped = cache.size;
        cache.clear();
        staticUrls = undefined;
        return { dropped };
      }
      let dropped = 0;
      for (const path of what.paths) if (cache.delete(path)) dropped++;
      return { dropped };
    },
    async warm() {
      await loadEngine();
    },
  });
  return templates;
}

/**
 * Every partial `root` needs, through partials of partials, by the name templates use. Names
 * that have no file are left out: they may be inline partials defined at render time, and a name
 * that is truly missing makes Handlebars fail with "The partial <name> could not be found".
 */
async function collectPartials(
  root: CompiledTemplate,
  load: (path: string) => Promise<Cached>,
): Promise<Record<string, HandlebarsTemplateDelegate>> {
  const found: Record<string, HandlebarsTemplateDelegate> = Object.create(null);
  const seen = new Set<string>();
  let wave: CompiledTemplate[] = [root];
  while (wave.length > 0) {
    const names = wave.flatMap((t) => t.partials.map((name) => ({ name, from: t.path }))).filter(({ name }) => {
      if (seen.has(name)) return false;
      seen.add(name);
      return true;
    });
    const loaded = await Promise.all(names.map(async ({ name, from }) => {
      const path = partialPath(name);
      if (path === undefined) {
        throw new CorralError(ErrorCode.TEMPLATE_FAILED, `template "${from}" uses partial ${JSON.stringify(name)}, which is not a path inside templates/`);
      }
      return { name, template: await load(path) };
    }));
    wave = [];
    for (const { name, template } of loaded) {
      if (template === null) continue;
      found[name] = template.run;
      wave.push(template);
    }
  }
  return found;
}

async function runProcessors(
  processors: TemplateOptions["contextProcessors"] & object,
  c: TemplateRequest | undefined,
  ctx: PluginContext,
): Promise<Record<string, unknown>> {
  const values: Record<string, unknown> = {};
  for (const processor of processors) {
    const added = await processor(c, ctx);
    if (typeof added !== "object" || added === null) {
      throw new TypeError(`a template context processor returned ${added === null ? "null" : typeof added}; it must return an object of values`);
    }
    Object.assign(values, added);
  }
  return values;
}

/**
 * Forgets cached templates (the host's `templates.invalidate` entry point). The payload is
 * `{ paths: [...] }` (template paths such as "notes/list.hbs") or `{ all: true }`.
 */
export function invalidateTemplates(templates: Templates, payload: unknown): { dropped: number } {
  const internals = INTERNALS.get(templates);
  if (internals === undefined) return { dropped: 0 };
  const what = payload as { paths?: unknown; all?: unknown } | null;
  if (what !== null && typeof what === "object" && Array.isArray(what.paths) && what.paths.every((p) => typeof p === "string")) {
    return internals.invalidate({ paths: what.paths as string[] });
  }
  if (what !== null && typeof what === "object" && what.all === true) return internals.invalidate({ all: true });
  throw new TypeError(`templates.invalidate expects { paths: [strings] } or { all: true }, got ${JSON.stringify(payload)}`);
}

/** Loads the template engine ahead of the first render. */
export function warmTemplates(templates: Templates): Promise<void> {
  return INTERNALS.get(templates)?.warm() ?? Promise.resolve();
}
