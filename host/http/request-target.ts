/**
 * Checks the host makes on a request's framing before routing it, for what Node's HTTP parser
 * lets through (it already refuses conflicting Content-Length / Transfer-Encoding, obs-fold, bare
 * LF and raw control characters: see docs/robustness.md). Found by the web security tests.
 */
import type { IncomingMessage } from "node:http";
import { CorralError, ErrorCode } from "../../schemas/errors.ts";

/**
 * The reason to refuse `incoming` with 400 CORRAL_E_BAD_REQUEST, or undefined to go on:
 * - more than one Host header: Node keeps the first for `headers.host` (what the CSRF check
 *   compares `Origin` with) while the plugin is forwarded both, so the two could disagree on the
 *   request's host; RFC 9112 section 3.2 requires a 400;
 * - a NUL in the path, raw or `%00`: no real URL needs one, and it truncates paths in code that
 *   hands them to C or the file system (a plugin serving files, a database's text).
 */
export function requestTargetProblem(incoming: IncomingMessage): CorralError | undefined {
  const raw = incoming.rawHeaders;
  let hosts = 0;
  for (let i = 0; i < raw.length; i += 2) {
    // Header names are short: compare the length first, as most names are not "host".
    if (raw[i]!.length === 4 && raw[i]!.toLowerCase() === "host") hosts++;
  }
  if (hosts > 1) {
    return new CorralError(ErrorCode.BAD_REQUEST,
      `the request has ${hosts} Host headers; send exactly one (RFC 9112 section 3.2)`);
  }
  const url = incoming.url ?? "";
  const query = url.indexOf("?");
  const path = query < 0 ? url : url.slice(0, query);
  if (path.includes("%00") || path.includes("\0")) {
    return new CorralError(ErrorCode.BAD_REQUEST,
      "the request's path holds a NUL byte (%00), which no resource name may contain; remove it from the URL");
  }
  return undefined;
}
