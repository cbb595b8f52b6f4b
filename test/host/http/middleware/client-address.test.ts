/** Tests for who sent a request: the socket's peer, or a trusted proxy's client; and the policy's trustedProxies. */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ErrorCode } from "../../../../schemas/errors.ts";
import { clientAddressOf, parseAddressRange, TrustedProxies } from "../../../../host/http/middleware/client-address.ts";
import { defaultPolicy, loadPolicy } from "../../../../host/policy.ts";
import { rejection } from "../../../helpers/assert.ts";

const proxies = new TrustedProxies(["10.0.0.0/8", "192.0.2.1", "fd00::/8"]);

test("without a trusted peer the client is the peer, whatever X-Forwarded-For says", () => {
  assert.is(clientAddressOf("198.51.100.1", "203.0.113.7", proxies), "198.51.100.1");
  assert.is(clientAddressOf("198.51.100.1", undefined, proxies), "198.51.100.1");
  assert.is(clientAddressOf("10.1.2.3", "203.0.113.7", new TrustedProxies([])), "10.1.2.3", "no proxy trusted by default");
});

test("a trusted peer's header is walked from the right until an address no trusted proxy is", () => {
  assert.is(clientAddressOf("10.0.0.2", "203.0.113.7", proxies), "203.0.113.7");
  assert.is(clientAddressOf("10.0.0.2", "203.0.113.7, 192.0.2.1", proxies), "203.0.113.7");
  assert.is(clientAddressOf("10.0.0.2", "1.1.1.1, 203.0.113.7", proxies), "203.0.113.7", "a client's own entries count for nothing");
  assert.is(clientAddressOf("10.0.0.2", "10.0.0.3, 10.0.0.4", proxies), "10.0.0.3", "all trusted: the first one");
  assert.is(clientAddressOf("10.0.0.2", "bogus, 192.0.2.1", proxies), "192.0.2.1", "a malformed entry stops the walk");
  assert.is(clientAddressOf("10.0.0.2", "", proxies), "10.0.0.2");
});

test("IPv4-mapped IPv6 peers are read as IPv4; IPv6 ranges work", () => {
  assert.is(clientAddressOf("::ffff:10.0.0.2", "203.0.113.7", proxies), "203.0.113.7");
  assert.is(clientAddressOf("::ffff:198.51.100.1", undefined, proxies), "198.51.100.1");
  assert.is(clientAddressOf("fd12::1", "2001:db8::5", proxies), "2001:db8::5");
  assert.is(clientAddressOf("2001:db8::9", "2001:db8::5", proxies), "2001:db8::9");
});

test("address ranges: addresses and CIDR ranges, nothing else", () => {
  assert.equal(parseAddressRange("10.0.0.0/8"), { address: "10.0.0.0", bits: 8, family: "ipv4" });
  assert.equal(parseAddressRange("::1"), { address: "::1", bits: 128, family: "ipv6" });
  for (const bad of ["10.0.0.0/33", "fd00::/129", "10.0.0.0/", "10.0.0.0/x", "localhost", "10.0.0", ""]) {
    assert.is(parseAddressRange(bad), null, bad);
  }
  assert.throws(() => new TrustedProxies(["proxy.local"]), /not an IP address or CIDR range: "proxy.local"/);
});

test("the policy's http.trustedProxies: empty by default, a bad entry refused naming it", async () => {
  assert.equal(defaultPolicy().http.trustedProxies, []);
  const root = await mkdtemp(join(tmpdir(), "corral-proxies-"));
  try {
    const good = join(root, "good.json");
    await writeFile(good, JSON.stringify({ http: { trustedProxies: ["10.0.0.0/8", "::1"] } }));
    assert.equal((await loadPolicy(good)).http.trustedProxies, ["10.0.0.0/8", "::1"]);
    const bad = join(root, "bad.json");
    await writeFile(bad, JSON.stringify({ http: { trustedProxies: ["10.0.0.0/8", "my-proxy"] } }));
    const error = await rejection(loadPolicy(bad));
    assert.is(error.code, ErrorCode.POLICY_INVALID);
    assert.match(error.message, /\/http\/trustedProxies\/1/);
    assert.match(error.message, /CIDR range/);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test.run();
