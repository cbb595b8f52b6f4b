/**
 * An answer about to be written, as global afterRequest hooks see it, and the writer the hooks
 * use for the answers they make themselves (short-circuits, refusals, the host's own errors).
 */
import type { ServerResponse } from "node:http";
import { CorralError } from "../../schemas/errors.ts";
import { errorAnswer } from "../http/error-response.ts";

/** The status and headers of an answer before they are written; `headers` is Node's flat list. */
export interface Answer {
  readonly status: number;
  /** `[name, value, name, value...]`; may be changed in place until the answer is written. */
  readonly headers: string[];
  /** The host's error when the answer is one, else null. */
  readonly error: { readonly code: string; readonly message: string } | null;
}

/** Called with each answer just before it is written; may change its headers. Never rejects. */
export type BeforeAnswer = (answer: Answer) => Promise<void>;

/** Writes status, headers and body, after `beforeAnswer` has seen them; the host sets `content-length`. */
export async function writeAnswer(outgoing: ServerResponse, answer: Answer, body: string | Uint8Array, beforeAnswer: BeforeAnswer): Promise<void> {
  await beforeAnswer(answer);
  if (outgoing.headersSent) return void outgoing.end();
  outgoing.writeHead(answer.status, [...answer.headers, "content-length", String(Buffer.byteLength(body))]);
  outgoing.end(body);
}

/** Writes `error` as the host's JSON error answer (see errors.md), after `beforeAnswer`. */
export async function writeErrorAnswer(outgoing: ServerResponse, error: unknown, beforeAnswer: BeforeAnswer): Promise<void> {
  const { status, headers, body } = errorAnswer(error);
  const corral = error instanceof CorralError ? error.toJSON() : (JSON.parse(body) as { error: { code: string; message: string } }).error;
  await writeAnswer(outgoing, { status, headers: Object.entries(headers).flat(), error: corral }, body, beforeAnswer);
}
