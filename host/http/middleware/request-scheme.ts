/**
 * Whether the client reached us over TLS, decided once by the host like the client's address
 * (client-address.ts): the socket itself is TLS, or the peer is a proxy the operator trusts
 * (`http.trustedProxies`) and its `X-Forwarded-Proto` says `https`. A client that is not a
 * trusted proxy cannot choose the answer, so a plugin can use it for a cookie's `Secure` flag or
 * an absolute URL. Plugins see it as `c.env.request.secure` and in the scheme of `c.req.url`.
 */
import { forwardedHops, type TrustedProxies, withoutIpv4Mapping } from "./client-address.ts";

/**
 * True when the request came over TLS. `encrypted`: the socket is a TLS socket. `forwardedFor`
 * and `forwardedProto`: the `X-Forwarded-For` and `X-Forwarded-Proto` headers (each joined with
 * "," when repeated), read only when the peer is trusted; then they decide, whatever the socket.
 *
 * A proxy that appends to `X-Forwarded-Proto` as it does to `X-Forwarded-For` leaves one entry per
 * hop: the entry as far from the right as the client is in `X-Forwarded-For` is the scheme the
 * client used, and the entries left of it are the client's own, never believed. A proxy that
 * sets the header instead leaves one entry, its own: that one decides. Pure.
 *
 * @example
 * ```ts
 * const proxies = new TrustedProxies(["10.0.0.0/8"]);
 * requestIsSecure("10.0.0.2", false, "203.0.113.7", "https", proxies);     // true
 * requestIsSecure("10.0.0.2", false, "203.0.113.7", "https, http", proxies); // false: the client wrote "https"
 * requestIsSecure("198.51.100.1", false, undefined, "https", proxies);     // false: not a trusted peer
 * ```
 */
export function requestIsSecure(
  peer: string,
  encrypted: boolean,
  forwardedFor: string | undefined,
  forwardedProto: string | undefined,
  proxies: TrustedProxies,
): boolean {
  if (forwardedProto === undefined || !proxies.has(withoutIpv4Mapping(peer))) return encrypted;
  const protos = forwardedProto.split(",");
  // A trusted peer with no X-Forwarded-For speaks for its own client: one hop.
  const hops = forwardedFor === undefined ? 1 : Math.max(1, forwardedHops(forwardedFor.split(","), proxies));
  const entry = hops <= protos.length ? protos[protos.length - hops]! : protos[0]!;
  return entry.trim().toLowerCase() === "https";
}
