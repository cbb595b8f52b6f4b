/**
 * The net patterns the host adds to its policy's deny list at run time: its own port and the
 * database server, by every address of this machine (the host may listen on all of them), so no
 * net grant reaches either.
 */
import { networkInterfaces } from "node:os";

/** A server by host and port. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/**
 * Deny patterns for the host's port on every local address and `localhost`, and for the database
 * server (by all local addresses too when it is local).
 *
 * @example
 * ```ts
 * const policy = withRuntimeDenies(basePolicy, runtimeDenies({ hostPort: 8080, database: hostDb.connectionInfo }));
 * ```
 */
export function runtimeDenies(input: { readonly hostPort: number; readonly database?: Endpoint }): string[] {
  const addresses = localAddresses();
  return [
    ...addresses.map((address) => hostPort(address, input.hostPort)),
    `localhost:${input.hostPort}`,
    ...(input.database === undefined ? [] : databaseDenies(input.database, addresses)),
  ];
}

/** Host-port patterns for the database server, so no net grant reaches it directly. */
function databaseDenies({ host, port }: Endpoint, localAddresses: readonly string[]): string[] {
  const local = host === "localhost" || localAddresses.includes(host);
  const hosts = new Set([host, ...(local ? [...localAddresses, "localhost"] : [])]);
  return [...hosts].map((h) => hostPort(h, port));
}

/** Every address of this machine's interfaces, loopback included. */
function localAddresses(): string[] {
  const addresses = new Set(["127.0.0.1", "::1"]);
  for (const list of Object.values(networkInterfaces())) {
    for (const entry of list ?? []) addresses.add(entry.address.split("%")[0]!);
  }
  return [...addresses];
}

function hostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
