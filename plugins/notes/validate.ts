/**
 * Checks what clients send to the notes API and says exactly what is wrong; pure, so it is
 * tested without a database.
 *
 * @module
 */

import { HTTPException } from "hono/http-exception";

/** Limits of the API, stated in its error messages. */
export const LIMITS = Object.freeze({
  titleLength: 200,
  bodyLength: 20_000,
  tagLength: 40,
  tags: 20,
  pageSize: 100,
  defaultPageSize: 20,
});

/**
 * A request the API refuses: 400 `{ error: { code, message, field } }`. An HTTPException, so
 * Hono answers with it and the SDK does not log it as a failure.
 */
export class InvalidRequest extends HTTPException {
  readonly field: string;

  constructor(field: string, message: string, code = "invalid-request") {
    super(400, { message, res: Response.json({ error: { code, message, field } }, { status: 400 }) });
    this.name = "InvalidRequest";
    this.field = field;
  }
}

/** A new note as validated. */
export interface NewNote {
  readonly title: string;
  readonly body: string;
  readonly tags: readonly string[];
}

/** The fields of a note a PATCH may change; absent ones stay as they are. */
export interface NoteChanges {
  readonly title?: string;
  readonly body?: string;
  readonly tags?: readonly string[];
}

/** A page of a listing. */
export interface Page {
  readonly limit: number;
  readonly offset: number;
}

const ID = /^[1-9][0-9]{0,17}$/;

/** A note id from the URL: digits only, as bigserial ids are. @throws InvalidRequest */
export function parseId(text: string): string {
  if (!ID.test(text)) throw new InvalidRequest("id", `note id must be a positive whole number, got ${JSON.stringify(text)}`);
  return text;
}

/** `?limit=&offset=`, with defaults. @throws InvalidRequest */
export function parsePage(limit: string | undefined, offset: string | undefined): Page {
  return {
    limit: whole("limit", limit, LIMITS.defaultPageSize, 1, LIMITS.pageSize),
    offset: whole("offset", offset, 0, 0, Number.MAX_SAFE_INTEGER),
  };
}

/** The body of POST /notes. @throws InvalidRequest */
export function parseNewNote(input: unknown): NewNote {
  const fields = object(input, ["title", "body", "tags"]);
  if (fields.title === undefined) throw new InvalidRequest("title", "title is required");
  return {
    title: title(fields.title),
    body: fields.body === undefined ? "" : body(fields.body),
    tags: fields.tags === undefined ? [] : tags(fields.tags),
  };
}

/** The body of PATCH /notes/:id: at least one field. @throws InvalidRequest */
export function parseNoteChanges(input: unknown): NoteChanges {
  const fields = object(input, ["title", "body", "tags"]);
  const changes = {
    ...(fields.title === undefined ? {} : { title: title(fields.title) }),
    ...(fields.body === undefined ? {} : { body: body(fields.body) }),
    ...(fields.tags === undefined ? {} : { tags: tags(fields.tags) }),
  };
  if (Object.keys(changes).length === 0) throw new InvalidRequest("request", "nothing to change: send title, body or tags");
  return changes;
}

function object(input: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new InvalidRequest("request", `the request body must be a JSON object, got ${input === null ? "null" : Array.isArray(input) ? "an array" : typeof input}`);
  }
  for (const key of Object.keys(input)) {
    if (!allowed.includes(key)) throw new InvalidRequest(key, `unknown field ${JSON.stringify(key)}; allowed: ${allowed.join(", ")}`);
  }
  return input as Record<string, unknown>;
}

function title(value: unknown): string {
  if (typeof value !== "string") throw new InvalidRequest("title", `title must be a string, got ${typeof value}`);
  const trimmed = value.trim();
  if (trimmed === "") throw new InvalidRequest("title", "title must not be empty");
  if (trimmed.length > LIMITS.titleLength) {
    throw new InvalidRequest("title", `title must be at most ${LIMITS.titleLength} characters, got ${trimmed.length}`);
  }
  return trimmed;
}

function body(value: unknown): string {
  if (typeof value !== "string") throw new InvalidRequest("body", `body must be a string, got ${typeof value}`);
  if (value.length > LIMITS.bodyLength) {
    throw new InvalidRequest("body", `body must be at most ${LIMITS.bodyLength} characters, got ${value.length}`);
  }
  return value;
}

/** Trimmed, lower-cased, duplicates dropped, sorted: tags compare as sets. */
function tags(value: unknown): string[] {
  if (!Array.isArray(value)) throw new InvalidRequest("tags", `tags must be an array of strings, got ${typeof value}`);
  const set = new Set<string>();
  for (const tag of value) {
    if (typeof tag !== "string" || tag.trim() === "" || tag.trim().length > LIMITS.tagLength) {
      throw new InvalidRequest("tags", `each tag must be a non-empty string of at most ${LIMITS.tagLength} characters, got ${JSON.stringify(tag)}`);
    }
    set.add(tag.trim().toLowerCase());
  }
  if (set.size > LIMITS.tags) throw new InvalidRequest("tags", `a note has at most ${LIMITS.tags} tags, got ${set.size}`);
  return [...set].sort();
}

function whole(name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined || text === "") return fallback;
  const value = /^[0-9]{1,16}$/.test(text) ? Number(text) : NaN;
  if (!(value >= min && value <= max)) {
    throw new InvalidRequest(name, `${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(text)}`);
  }
  return value;
}
