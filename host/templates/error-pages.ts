/**
 * The host's own error answers (404 for no such plugin or path, 503 for a failed or unavailable
 * plugin, 500 for a host fault, and the other host errors) as HTML pages for browsers, rendered
 * from templates in the host: no plugin code runs. JSON clients get the JSON error as before
 * (host/http/error-response.ts stays the single source of status, headers, code and message).
 *
 * For status S and plugin P, the first file that exists wins, each folder tried with `S.hbs`
 * then `error.hbs`:
 *   1. `<templatesDir>/plugins/P/errors/`  the operator's page for P
 *   2. `<P's folder>/templates/errors/`     P's own page (restricted language: restricted-template.ts)
 *   3. `<templatesDir>/errors/`            the operator's page for everyone
 *   4. `host/templates/errors/`            shipped with Corral
 * Pages only ever get `status`, `statusText`, `code`, `message`, `requestId` and `plugin`:
 * never a stack trace.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { STATUS_CODES } from "node:http";
import { join } from "node:path";
import Handlebars from "handlebars";
import { errorAnswer, type ErrorAnswer } from "../http/error-response.ts";
import type { Logger } from "../logger.ts";
import { acceptsHtml } from "./accepts-html.ts";
import { compileRestricted } from "./restricted-template.ts";
import { readTemplateFile } from "./template-file.ts";

/**
 * Answers a host error for one request: an HTML page for a browser, JSON otherwise. Never throws.
 * `plugin` is the plugin the request was for, when there is one.
 */
export type ErrorResponder = (
  error: unknown,
  incoming: IncomingMessage,
  outgoing: ServerResponse,
  plugin?: string,
  requestId?: string,
) => Promise<ErrorAnswer>;

/** The JSON answer for everyone: what the host does without error pages. */
export const jsonErrors: ErrorResponder = (error) => Promise.resolve(errorAnswer(error));

/** The shipped pages: `host/templates/errors/*.hbs`. */
export const SHIPPED_TEMPLATES_DIR = import.meta.dirname;

/** What a page gets to show. */
export interface ErrorPageData {
  readonly status: number;
  readonly statusText: string;
  readonly code: string;
  readonly message: string;
  readonly requestId: string;
  /** The plugin the request was for ("" when none is installed under that name). */
  readonly plugin: string;
}

export interface ErrorPagesOptions {
  readonly templatesDir: string | undefined;
  /** The folder of an installed plugin. */
  readonly pluginDir: (name: string) => string | undefined;
  readonly log: Logger;
  /** Where the shipped pages are (tests); default {@linkcode SHIPPED_TEMPLATES_DIR}. */
  readonly shippedDir?: string;
}

type Page = (data: ErrorPageData) => string;

/** One place a page may come from. */
interface Candidate {
  readonly root: string;
  readonly path: string;
  /** A plugin's own file: compiled in the restricted language. */
  readonly untrusted: boolean;
}

/** Trusted pages (shipped, the operator's) get plain Handlebars, without partials or extra helpers. */
const TRUSTED_ENV = Handlebars.create();

export class ErrorPages {
  readonly #options: ErrorPagesOptions;
  /** The page chosen for a plugin and status, until a template file changes. */
  readonly #chosen = new Map<string, Promise<Page>>();

  constructor(options: ErrorPagesOptions) {
    this.#options = options;
  }

  /** The {@linkcode ErrorResponder} of these pages. */
  readonly respond: ErrorResponder = async (error, incoming, outgoing, plugin, requestId) => {
    const json = errorAnswer(error);
    if (!acceptsHtml(incoming.headers.accept)) return json;
    try {
      const { code, message } = (JSON.parse(json.body) as { error: { code: string; message: string } }).error;
      const installed = plugin !== undefined && this.#options.pluginDir(plugin) !== undefined ? plugin : "";
      const data: ErrorPageData = {
        status: json.status,
        statusText: STATUS_CODES[json.status] ?? "Error",
        code,
        message,
        requestId: requestId ?? headerText(outgoing.getHeader("x-request-id")) ?? "",
        plugin: installed,
      };
      const body = await this.render(data);
      return { status: json.status, headers: { ...json.headers, "content-type": "text/html; charset=utf-8" }, body };
    } catch (failure) {
      this.#options.log.error("could not render an error page; answering JSON", { error: (failure as Error).message });
      return json;
    }
  };

  /** The HTML page for `data`. */
  async render(data: ErrorPageData): Promise<string> {
    const key = `${data.plugin}\n${data.status}`;
    let page = this.#chosen.get(key);
    if (page === undefined) {
      page = this.#choose(data.plugin, data.status);
      this.#chosen.set(key, page);
      page.catch(() => this.#chosen.delete(key));
    }
    try {
      return (await page)(data);
    } catch (error) {
      this.#options.log.warn("an error page failed to render; answering the built-in page", { status: data.status, error: (error as Error).message });
      return fallbackPage(data);
    }
  }

  /** Forgets the chosen pages: a template file changed. */
  invalidate(): void {
    this.#chosen.clear();
  }

  async #choose(plugin: string, status: number): Promise<Page> {
    for (const candidate of this.#candidates(plugin, status)) {
      let file;
      try {
        file = await readTemplateFile(candidate.root, candidate.path);
      } catch (error) {
        this.#options.log.warn("error page skipped", { file: join(candidate.root, candidate.path), error: (error as Error).message });
        continue;
      }
      if (file === null) continue;
      try {
        const template = candidate.untrusted ? compileRestricted(file.source) : TRUSTED_ENV.compile(file.source, { noEscape: false });
        if (!candidate.untrusted) template({} as ErrorPageData); // compiles now, so a syntax error falls through here
        return (data) => template(data);
      } catch (error) {
        this.#options.log.warn("error page skipped: it does not compile", { file: join(candidate.root, candidate.path), error: (error as Error).message });
      }
    }
    return fallbackPage;
  }

  #candidates(plugin: string, status: number): Candidate[] {
    const { templatesDir } = this.#options;
    const pluginDir = plugin === "" ? undefined : this.#options.pluginDir(plugin);
    const roots: { root: string; untrusted: boolean }[] = [];
    if (plugin !== "" && templatesDir !== undefined) roots.push({ root: join(templatesDir, "plugins", plugin), untrusted: false });
    if (pluginDir !== undefined) roots.push({ root: join(pluginDir, "templates"), untrusted: true });
    if (templatesDir !== undefined) roots.push({ root: templatesDir, untrusted: false });
    roots.push({ root: this.#options.shippedDir ?? SHIPPED_TEMPLATES_DIR, untrusted: false });
    return roots.flatMap(({ root, untrusted }) => [
      { root, path: `errors/${status}.hbs`, untrusted },
      { root, path: "errors/error.hbs", untrusted },
    ]);
  }
}

/** The page of last resort, when no template could be used. */
function fallbackPage(data: ErrorPageData): string {
  const e = Handlebars.Utils.escapeExpression;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${data.status} ${e(data.statusText)}</title></head>` +
    `<body><h1>${data.status} ${e(data.statusText)}</h1><p>${e(data.message)}</p><p><small>${e(data.code)}</small></p></body></html>`;
}

function headerText(value: number | string | string[] | undefined): string | undefined {
  return typeof value === "string" ? value : undefined;
}
