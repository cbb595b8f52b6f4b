/**
 * Who sent a request: the socket's peer, or, when that peer is a proxy the operator trusts (the
 * policy's `http.trustedProxies`), the address that proxy says it received the request from
 * (`X-Forwarded-For`). Plugins see the result as `c.env.request.clientAddress` and use it for
 * things like a sign-in limit per address; a client must not be able to choose it, so the header
 * counts only from a trusted peer, and only the entries trusted proxies appended are believed.
 */
import { BlockList, isIP } from "node:net";

/** What an address in a request is to the trusted-proxy list. */
export const Kind = Object.freeze({ Invalid: 0, Untrusted: 1, Trusted: 2 } as const);
export type Kind = (typeof Kind)[keyof typeof Kind];

/** How many answers TrustedProxies remembers. */
const KNOWN_ADDRESSES = 4096;

/** The parsed `http.trustedProxies` list: addresses and CIDR ranges. */
export class TrustedProxies {
  readonly #list = new BlockList();
  readonly #empty: boolean;
  /**
   * Answers already worked out: `BlockList.check` costs ~1.8 µs (it builds a SocketAddress) and
   * `isIP` a few hundred ns, several per forwarded request, and the strings asked about repeat
   * (the peers are the few proxies). Cleared when full, so a flood of new addresses cannot grow it.
   */
  readonly #known = new Map<string, Kind>();

  /**
   * @throws TypeError naming the entry when one is neither an IP address nor a CIDR range
   *   (the policy's schema refuses those first; this guards other callers).
   */
  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const range = parseAddressRange(entry);
      if (range === null) throw new TypeError(`not an IP address or CIDR range: ${JSON.stringify(entry)} (write "10.0.0.1", "10.0.0.0/8" or "::1")`);
      this.#list.addSubnet(range.address, range.bits, range.family);
    }
    this.#empty = entries.length === 0;
  }

  /** Whether `address` (as a socket reports it; an IPv4-mapped IPv6 address counts as its IPv4 form) is trusted. */
  has(address: string): boolean {
    return !this.#empty && this.kind(address) === Kind.Trusted;
  }

  /** What `address` is: not an IP address, an untrusted one, or a trusted proxy. */
  kind(address: string): Kind {
    let kind = this.#known.get(address);
    if (kind === undefined) {
      const plain = withoutIpv4Mapping(address);
      const family = isIP(plain);
      kind = family === 0 ? Kind.Invalid : this.#list.check(plain, family === 4 ? "ipv4" : "ipv6") ? Kind.Trusted : Kind.Untrusted;
      if (this.#known.size >= KNOWN_ADDRESSES) this.#known.clear();
      this.#known.set(address, kind);
    }
    return kind;
  }

  /** Whether no proxy is trusted (then the header is never read). */
  get empty(): boolean {
    return this.#empty;
  }
}

/** One `http.trustedProxies` entry: "10.0.0.1" (one address), "10.0.0.0/8", "::1", "fd00::/8"; null when malformed. */
export function parseAddressRange(entry: string): { address: string; bits: number; family: "ipv4" | "ipv6" } | null {
  const slash = entry.indexOf("/");
  const address = slash < 0 ? entry : entry.slice(0, slash);
  const family = isIP(address);
  if (family === 0) return null;
  const max = family === 4 ? 32 : 128;
  const bits = slash < 0 ? max : /^[0-9]{1,3}$/.test(entry.slice(slash + 1)) ? Number(entry.slice(slash + 1)) : -1;
  return bits < 0 || bits > max ? null : { address, bits, family: family === 4 ? "ipv4" : "ipv6" };
}

/** "::ffff:10.0.0.1" -> "10.0.0.1": how a dual-stack socket reports an IPv4 peer. */
export function withoutIpv4Mapping(address: string): string {
  return address.startsWith("::ffff:") && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/**
 * The client's address for a request whose socket peer is `peer` and whose `X-Forwarded-For`
 * header (all of them, joined with ",") is `forwardedFor`. Walks the header from the right, the
 * way each proxy appends: while the address in hand is a trusted proxy, the entry before it is
 * who that proxy talked to. The first untrusted address is the client; a malformed entry stops
 * the walk at the proxy that wrote it. Pure.
 *
 * @example
 * ```ts
 * const proxies = new TrustedProxies(["10.0.0.0/8"]);
 * clientAddressOf("10.0.0.2", "203.0.113.7, 10.0.0.9", proxies); // "203.0.113.7"
 * clientAddressOf("198.51.100.1", "203.0.113.7", proxies);       // "198.51.100.1": not a trusted peer
 * ```
 */
export function clientAddressOf(peer: string, forwardedFor: string | undefined, proxies: TrustedProxies): string {
  const address = withoutIpv4Mapping(peer);
  if (forwardedFor === undefined || !proxies.has(address)) return address;
  const entries = forwardedFor.split(",");
  const hops = forwardedHops(entries, proxies);
  return hops === 0 ? address : withoutIpv4Mapping(entries[entries.length - hops]!.trim());
}

/**
 * How many `X-Forwarded-For` entries (split on ","), counted from the right, lead to the client
 * when the socket's peer is a trusted proxy: each trusted entry is another hop, the first
 * untrusted one is the client (and counts), a malformed one stops the walk before it (the proxy
 * that wrote it is then the client). 0 when the header names no one. The same walk places the
 * client in `X-Forwarded-Proto` (request-scheme.ts).
 */
export function forwardedHops(entries: readonly string[], proxies: TrustedProxies): number {
  let hops = 0;
  for (let i = entries.length - 1; i >= 0; i--) {
    const kind = proxies.kind(entries[i]!.trim());
    if (kind === Kind.Invalid) break;
    hops++;
    if (kind === Kind.Untrusted) break;
  }
  return hops;
}
