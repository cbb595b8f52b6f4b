// End to end: who sent a request, as the host tells plugins (c.env.request.clientAddress, and a
// global hook's request.remoteAddress), and the auth plugin's sign-in limits built on it. Clients
// are told apart by connecting from different loopback addresses (all of 127.0.0.0/8 is this
// machine); 127.0.0.5 and 127.0.0.6 play proxies the policy trusts.
import { rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { SHIPPED, startTestHost } from "../helpers/host.ts";
import type { TestHost } from "../helpers/host.ts";
import { send } from "../helpers/http.ts";
import { copyPluginWith } from "../helpers/plugin-copy.ts";
import { openAdmin, resetPluginDatabases } from "../helpers/plugin-database.ts";

const addresses = suite<{ t: TestHost; auth: string }>("client address");
const admin = openAdmin("client address");
const PASSWORD = "correct horse battery";
const PROXY = "127.0.0.5";

addresses.before(async (ctx) => {
  await resetPluginDatabases(admin, ["auth"]);
  // Small limits, so a test needs few (scrypt-priced) failures.
  ctx.auth = await copyPluginWith(join(SHIPPED, "auth"), (manifest) => {
    manifest.config = { ...manifest.config, maxFailedLogins: 3, maxFailedLoginsPerAddress: 4 };
  });
  ctx.t = await startTestHost({
    plugins: [ctx.auth, "sd-whoami", "sd-address-hook"],
    policy: { identity: { providers: ["auth"] }, http: { trustedProxies: [PROXY, "127.0.0.6/32"] } },
  });
});
addresses.after(async (ctx) => {
  await ctx.t.close();
  await rm(dirname(ctx.auth), { recursive: true, force: true });
  await admin.end();
});

/** What sd-whoami was told about a request from `from` with these headers. */
async function whoami(t: TestHost, from: string, headers: Record<string, string> = {}) {
  const res = await send(`${t.url}/plugins/sd-whoami/`, { localAddress: from, headers });
  assert.is(res.status, 200, res.text);
  return JSON.parse(res.text) as { clientAddress: string; hookSaw: string };
}

/** A JSON sign-in from `from`; answers the status. */
async function signIn(t: TestHost, from: string, name: string, password: string, headers: Record<string, string> = {}) {
  const res = await send(`${t.url}/plugins/auth/login`, {
    method: "POST", localAddress: from, headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ name, password }),
  });
  return { status: res.status, message: res.status === 429 ? (JSON.parse(res.text) as { error: { message: string } }).error.message : "" };
}

addresses("the handler and global hooks get the socket's peer; a client's X-Forwarded-For is ignored", async ({ t }) => {
  assert.equal(await whoami(t, "127.0.0.2"), { clientAddress: "127.0.0.2", hookSaw: "127.0.0.2" });
  assert.equal(await whoami(t, "127.0.0.3", { "x-forwarded-for": "198.51.100.1" }), { clientAddress: "127.0.0.3", hookSaw: "127.0.0.3" });
});

addresses("behind a trusted proxy the client is the last address no trusted proxy wrote", async ({ t }) => {
  assert.is((await whoami(t, PROXY, { "x-forwarded-for": "198.51.100.1" })).clientAddress, "198.51.100.1");
  // Two trusted proxies in a row: 127.0.0.6 forwarded for 203.0.113.9, and PROXY for 127.0.0.6.
  assert.is((await whoami(t, PROXY, { "x-forwarded-for": "203.0.113.9, 127.0.0.6" })).clientAddress, "203.0.113.9");
  // A client that writes its own header cannot hide behind it: the entry PROXY appended wins.
  assert.is((await whoami(t, PROXY, { "x-forwarded-for": "10.9.9.9, 198.51.100.7" })).clientAddress, "198.51.100.7");
  assert.is((await whoami(t, PROXY, { "x-forwarded-for": "not-an-address" })).clientAddress, PROXY);
  assert.is((await whoami(t, PROXY)).hookSaw, PROXY);
});

addresses("global hooks are told the request's scheme as the handler is: https only from a trusted proxy", async ({ t }) => {
  const scheme = async (from: string, headers: Record<string, string>) => {
    const res = await send(`${t.url}/plugins/sd-whoami/scheme`, { localAddress: from, headers });
    assert.is(res.status, 200, res.text);
    return JSON.parse(res.text) as { secure: boolean; hookSawSecure: boolean };
  };
  assert.equal(await scheme(PROXY, { "x-forwarded-proto": "https", "x-forwarded-for": "198.51.100.1" }), { secure: true, hookSawSecure: true });
  assert.equal(await scheme("127.0.0.2", { "x-forwarded-proto": "https" }), { secure: false, hookSawSecure: false });
});

addresses("auth: one address failing on many names is refused, even with a right password; others are not", async ({ t }) => {
  assert.is((await send(`${t.url}/plugins/auth/signup`, {
    method: "POST", localAddress: "127.0.0.20", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "sd-ada", password: PASSWORD }),
  })).status, 201);
  for (const name of ["sd-x1", "sd-x2", "sd-x3", "sd-x4"]) assert.is((await signIn(t, "127.0.0.7", name, "wrong password")).status, 401, name);
  const limited = await signIn(t, "127.0.0.7", "sd-ada", PASSWORD);
  assert.is(limited.status, 429);
  assert.match(limited.message, /from your address/);
  assert.is((await signIn(t, "127.0.0.8", "sd-ada", PASSWORD)).status, 200, "another address signs in");
});

addresses("auth: one name failing from many addresses is refused from a new address too", async ({ t }) => {
  for (const from of ["127.0.0.9", "127.0.0.10", "127.0.0.11"]) assert.is((await signIn(t, from, "sd-ada", "wrong password")).status, 401, from);
  const limited = await signIn(t, "127.0.0.12", "sd-ada", PASSWORD);
  assert.is(limited.status, 429);
  assert.match(limited.message, /for "sd-ada"/);
});

addresses("auth: behind a trusted proxy each forwarded client has its own count", async ({ t }) => {
  const via = (client: string) => ({ "x-forwarded-for": client });
  for (const name of ["sd-y1", "sd-y2", "sd-y3", "sd-y4"]) assert.is((await signIn(t, PROXY, name, "wrong password", via("198.51.100.20"))).status, 401);
  assert.is((await signIn(t, PROXY, "sd-y5", "wrong password", via("198.51.100.20"))).status, 429, "that client is limited");
  assert.is((await signIn(t, PROXY, "sd-y5", "wrong password", via("198.51.100.21"))).status, 401, "another client of the same proxy is not");
});

addresses.run();
