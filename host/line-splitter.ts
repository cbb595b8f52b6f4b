/**
 * Splits a plugin's stdout/stderr bytes into lines for the log, with a cap on line length so a
 * plugin that prints megabytes without a newline cannot make the host buffer them.
 */

const MAX_LINE_CHARS = 8192;

export class LineSplitter {
  readonly #onLine: (line: string) => void;
  #partial = "";

  constructor(onLine: (line: string) => void) {
    this.#onLine = onLine;
  }

  push(chunk: Buffer | string): void {
    const text = this.#partial + chunk.toString();
    const lines = text.split("\n");
    this.#partial = lines.pop() ?? "";
    for (const line of lines) this.#emit(line);
    if (this.#partial.length > MAX_LINE_CHARS) {
      this.#emit(this.#partial);
      this.#partial = "";
    }
  }

  /** Emits what is left once the stream ends. */
  flush(): void {
    if (this.#partial !== "") this.#emit(this.#partial);
    this.#partial = "";
  }

  #emit(line: string): void {
    const trimmed = line.endsWith("\r") ? line.slice(0, -1) : line;
    if (trimmed === "") return;
    this.#onLine(trimmed.length > MAX_LINE_CHARS ? trimmed.slice(0, MAX_LINE_CHARS) + "…[truncated]" : trimmed);
  }
}
