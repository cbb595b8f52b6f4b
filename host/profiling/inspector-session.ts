/**
 * A Chrome DevTools Protocol session with a plugin's V8 inspector, over its WebSocket (undici's
 * client: Node 20 has no global WebSocket). Deno serves the inspector on its own thread and V8
 * runs the messages by interrupting JavaScript, so a plugin stuck in a loop still answers.
 */
import { WebSocket } from "undici";
import { CorralError, ErrorCode } from "../../schemas/errors.ts";

interface Waiting {
  resolve(result: unknown): void;
  reject(error: Error): void;
}

export class InspectorSession {
  readonly #socket: WebSocket;
  readonly #waiting = new Map<number, Waiting>();
  #nextId = 1;
  #closed: string | undefined;

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.addEventListener("message", (event) => this.#onMessage(String(event.data)));
    socket.addEventListener("close", () => this.#fail("the inspector closed the connection (did the plugin restart?)"));
  }

  /** Connects to `ws://127.0.0.1:<port>/<id>`; rejects with INSPECTOR_FAILED after `timeoutMs`. */
  static connect(url: string, timeoutMs = 5000): Promise<InspectorSession> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url);
      const timer = setTimeout(() => {
        socket.close();
        reject(inspectorError(`could not connect to the inspector at ${url} within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.addEventListener("open", () => {
        clearTimeout(timer);
        resolve(new InspectorSession(socket));
      }, { once: true });
      socket.addEventListener("error", () => {
        clearTimeout(timer);
        reject(inspectorError(`could not connect to the inspector at ${url}`));
      }, { once: true });
    });
  }

  /** Sends one CDP command and resolves with its `result`. */
  send(method: string, params: Record<string, unknown> = {}, timeoutMs = 10_000): Promise<unknown> {
    if (this.#closed !== undefined) return Promise.reject(inspectorError(this.#closed));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        reject(inspectorError(`the inspector did not answer ${method} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiting.set(id, {
        resolve: (result) => { clearTimeout(timer); resolve(result); },
        reject: (error) => { clearTimeout(timer); reject(error); },
      });
      this.#socket.send(JSON.stringify({ id, method, params }));
    });
  }

  close(): void {
    this.#closed ??= "the session is closed";
    this.#socket.close();
  }

  #onMessage(text: string): void {
    let message: { id?: number; result?: unknown; error?: { message?: string } };
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (message.id === undefined) return; // An event; none is needed here.
    const waiting = this.#waiting.get(message.id);
    if (waiting === undefined) return;
    this.#waiting.delete(message.id);
    if (message.error !== undefined) waiting.reject(inspectorError(`the inspector refused: ${message.error.message ?? "unknown error"}`));
    else waiting.resolve(message.result);
  }

  #fail(why: string): void {
    this.#closed ??= why;
    for (const waiting of this.#waiting.values()) waiting.reject(inspectorError(why));
    this.#waiting.clear();
  }
}

function inspectorError(message: string): CorralError {
  return new CorralError(ErrorCode.INSPECTOR_FAILED, message);
}
