/**
 * Content negotiation for error pages: a browser (an `Accept` that lists `text/html` at least as
 * high as JSON) gets an HTML page; API clients, `curl` and `fetch()` (which accept any type) keep JSON.
 */

/** Whether the `Accept` header value asks for HTML rather than JSON. */
export function acceptsHtml(accept: string | undefined): boolean {
  if (accept === undefined || accept === "") return false;
  let html = 0;
  let json = 0;
  for (const range of accept.split(",")) {
    const [type = "", ...params] = range.split(";").map((s) => s.trim().toLowerCase());
    const q = qualityOf(params);
    if (type === "text/html" || type === "application/xhtml+xml") html = Math.max(html, q);
    else if (type === "application/json" || type.endsWith("+json")) json = Math.max(json, q);
  }
  return html > 0 && html >= json;
}

function qualityOf(params: readonly string[]): number {
  for (const param of params) {
    if (param.startsWith("q=")) {
      const q = Number(param.slice(2));
      return Number.isFinite(q) ? Math.min(Math.max(q, 0), 1) : 0;
    }
  }
  return 1;
}
