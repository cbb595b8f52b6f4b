/** Tests for whether a request came over TLS: the socket, or a trusted proxy's X-Forwarded-Proto. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { TrustedProxies } from "../../../../host/http/middleware/client-address.ts";
import { requestIsSecure } from "../../../../host/http/middleware/request-scheme.ts";

const proxies = new TrustedProxies(["10.0.0.0/8", "192.0.2.1"]);

test("an untrusted peer's X-Forwarded-Proto counts for nothing: the socket decides", () => {
  assert.is(requestIsSecure("198.51.100.1", false, undefined, "https", proxies), false);
  assert.is(requestIsSecure("198.51.100.1", false, "203.0.113.7", "https", proxies), false);
  assert.is(requestIsSecure("198.51.100.1", true, undefined, "http", proxies), true, "a TLS socket is TLS whatever the client says");
  assert.is(requestIsSecure("10.1.2.3", false, "203.0.113.7", "https", new TrustedProxies([])), false, "no proxy trusted by default");
});

test("a trusted peer's header decides, read at the client's hop", () => {
  assert.is(requestIsSecure("10.0.0.2", false, "203.0.113.7", "https", proxies), true);
  assert.is(requestIsSecure("::ffff:10.0.0.2", false, "203.0.113.7", " HTTPS ", proxies), true);
  assert.is(requestIsSecure("10.0.0.2", false, undefined, "https", proxies), true, "no X-Forwarded-For: the proxy's own client");
  assert.is(requestIsSecure("10.0.0.2", true, "203.0.113.7", "http", proxies), false, "the proxy's client came over plain HTTP");
  assert.is(requestIsSecure("10.0.0.2", true, "203.0.113.7", undefined, proxies), true, "a proxy that says nothing: the socket");
  assert.is(requestIsSecure("10.0.0.2", false, "203.0.113.7", "https, http", proxies), false, "the client wrote the https; the proxy appended http");
  assert.is(requestIsSecure("10.0.0.2", false, "1.1.1.1, 203.0.113.7", "https, https, http", proxies), false, "a client's own entries count for nothing");
  assert.is(requestIsSecure("10.0.0.2", false, "203.0.113.7, 192.0.2.1", "https, http", proxies), true, "two appending proxies");
  assert.is(requestIsSecure("10.0.0.2", false, "203.0.113.7, 192.0.2.1", "https", proxies), true, "proxies that set one value: that value");
  assert.is(requestIsSecure("10.0.0.2", false, "203.0.113.7", "ftp", proxies), false);
  assert.is(requestIsSecure("10.0.0.2", false, "203.0.113.7", "", proxies), false);
});

test.run();
