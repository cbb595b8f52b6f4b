/** Finds a TCP port to give the embedded Postgres: the preferred one when free, else any free one. */
import { createServer } from "node:net";

/**
 * `preferred` when nothing listens on it at `host`, else a port the OS picks. Another process can
 * still take the port before Postgres binds it; the caller retries on "address in use".
 *
 * @example
 * ```ts
 * const port = await findFreePort(54329);
 * ```
 */
export async function findFreePort(preferred: number, host = "127.0.0.1"): Promise<number> {
  return (await tryListen(preferred, host)) ?? (await tryListen(0, host)) ?? preferred;
}

function tryListen(port: number, host: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(undefined));
    server.listen({ port, host, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === "object" && address !== null ? address.port : undefined;
      server.close(() => resolve(bound));
    });
  });
}
