/**
 * The auth plugin: users with scrypt-hashed passwords, sign-up, sign-in, sign-out, sessions in
 * an `HttpOnly; SameSite=Lax` cookie (`Secure` over TLS), roles, rate-limited sign-in and
 * password reset tokens that expire. Its global `beforeRequest` hook tells the host and every
 * other plugin who the user is, as `locals.identity = { user: { id, name }, roles }`; the host
 * trusts that key only from a plugin its policy lists in `identity.providers` and uses it for
 * the route roles other manifests declare (`access`). See docs/plugins/auth.md.
 *
 * Routes (under /plugins/auth): `GET/POST /login`, `GET/POST /signup`, `POST /logout`,
 * `GET /` (who am I, HTML), `GET /me` (JSON), `GET/POST /reset?token=`.
 * POSTs take a form or JSON. Commands: `grant`, `revoke`, `reset-link`.
 *
 * @module
 */

import { definePlugin, type GlobalRequest, type PluginContext, type PluginEnv } from "@corral/sdk";
import { Hono } from "hono";
import type { Context } from "hono";
import { clearedCookie, readCookie, SESSION_COOKIE, sessionCookie } from "./cookies.ts";
import { migrations } from "./migrations.ts";
import { homePage, loginPage, resetPage, signupPage } from "./pages.ts";
import type { Database } from "./schema.ts";
import {
  checkPassword, clearFailures, createResetToken, createUser, endSession, grantRole, NameTaken, recentFailures,
  recordFailure, resetPassword, revokeRole, sessionIdentity, startSession, userIdByName,
} from "./store.ts";
import { nameProblem, passwordProblem, roleProblem, safeNext } from "./validate.ts";

type Env = PluginEnv<Database>;
type Ctx = PluginContext<Database>;

/** The plugin's settings (plugin.json `config`), with their defaults. */
function settings(ctx: Ctx) {
  const number = (key: string, fallback: number) => typeof ctx.config[key] === "number" ? ctx.config[key] as number : fallback;
  return {
    sessionHours: number("sessionHours", 168),
    resetMinutes: number("resetMinutes", 60),
    /** Failures on one name (from anywhere) before the name waits out the window. */
    maxFailedLogins: number("maxFailedLogins", 5),
    /** Failures from one client address (on any names) before that address waits out the window. */
    maxFailedLoginsPerAddress: number("maxFailedLoginsPerAddress", 20),
    failureWindowMinutes: number("failureWindowMinutes", 15),
  };
}

const app = new Hono<Env>();

/** Form fields or a JSON object, as strings. */
async function fields(c: Context<Env>): Promise<Record<string, string>> {
  const raw = (c.req.header("content-type") ?? "").includes("application/json")
    ? await c.req.json().catch(() => ({}))
    : await c.req.parseBody();
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) if (typeof value === "string") out[key] = value;
  return out;
}

const wantsJson = (c: Context<Env>) => (c.req.header("content-type") ?? "").includes("application/json");
// Over TLS as the host decides it (its own TLS, or a trusted proxy's X-Forwarded-Proto), never a client's header.
const secure = (c: Context<Env>) => c.env.request.secure;

app.get("/", async (c) => {
  const identity = await cookieIdentity(c);
  if (identity === undefined) return c.redirect("login", 303);
  return c.html(homePage(c.env.request.csrfToken, identity.user.name, identity.roles));
});

app.get("/me", async (c) => {
  const identity = await cookieIdentity(c);
  return identity === undefined ? c.json({ error: { code: "signed-out", message: "no session; sign in at /plugins/auth/login" } }, 401) : c.json(identity);
});

app.get("/login", (c) => c.html(loginPage(c.env.request.csrfToken, safeNext(c.req.query("next")))));

app.post("/login", async (c) => {
  const { name = "", password = "", next } = await fields(c);
  const limits = settings(c.env);
  // Who the host says sent it: the socket's peer, or a trusted proxy's client (never a header a client wrote).
  const address = c.env.request.clientAddress;
  const refuse = (status: 401 | 429, message: string) => wantsJson(c)
    ? c.json({ error: { code: status === 429 ? "rate-limited" : "bad-credentials", message } }, status, status === 429 ? { "retry-after": String(limits.failureWindowMinutes * 60) } : {})
    : c.html(loginPage(c.env.request.csrfToken, safeNext(next), message, name), status);
  const failures = await recentFailures(c.env.db, name, address, limits.failureWindowMinutes);
  if (failures.byAddress >= limits.maxFailedLoginsPerAddress) {
    c.env.log.warn("sign-in refused: too many failures from this address", { name, address, failures: failures.byAddress });
    return refuse(429, `too many failed sign-ins from your address; try again in ${limits.failureWindowMinutes} minutes`);
  }
  if (failures.byName >= limits.maxFailedLogins) {
    c.env.log.warn("sign-in refused: too many failures for this name", { name, address, failures: failures.byName });
    return refuse(429, `too many failed sign-ins for "${name}"; try again in ${limits.failureWindowMinutes} minutes`);
  }
  const identity = await checkPassword(c.env.db, name, password);
  if (identity === undefined) {
    await recordFailure(c.env.db, name, address);
    return refuse(401, "wrong name or password");
  }
  await clearFailures(c.env.db, name, address);
  const token = await startSession(c.env.db, identity.user.id, limits.sessionHours);
  c.header("set-cookie", sessionCookie(token, limits.sessionHours * 3600, secure(c)));
  c.env.log.info("signed in", { user: identity.user.name });
  return wantsJson(c) ? c.json(identity) : c.redirect(safeNext(next), 303);
});

app.get("/signup", (c) => c.html(signupPage(c.env.request.csrfToken)));

app.post("/signup", async (c) => {
  const { name = "", password = "" } = await fields(c);
  const problem = nameProblem(name) ?? passwordProblem(password);
  const refuse = (status: 400 | 409, message: string) => wantsJson(c)
    ? c.json({ error: { code: status === 409 ? "name-taken" : "invalid-request", message } }, status)
    : c.html(signupPage(c.env.request.csrfToken, message, name), status);
  if (problem !== undefined) return refuse(400, problem);
  let identity;
  try {
    identity = await createUser(c.env.db, name, password);
  } catch (error) {
    if (error instanceof NameTaken) return refuse(409, error.message);
    throw error;
  }
  const token = await startSession(c.env.db, identity.user.id, settings(c.env).sessionHours);
  c.header("set-cookie", sessionCookie(token, settings(c.env).sessionHours * 3600, secure(c)));
  c.env.log.info("signed up", { user: name, roles: identity.roles });
  return wantsJson(c) ? c.json(identity, 201) : c.redirect("./", 303);
});

app.post("/logout", async (c) => {
  const token = readCookie(c.req.header("cookie"), SESSION_COOKIE);
  if (token !== undefined) await endSession(c.env.db, token);
  c.header("set-cookie", clearedCookie(secure(c)));
  return wantsJson(c) ? c.body(null, 204) : c.redirect("login", 303);
});

app.get("/reset", (c) => c.html(resetPage(c.env.request.csrfToken, c.req.query("token") ?? "")));

app.post("/reset", async (c) => {
  const { token = "", password = "" } = await fields(c);
  const problem = passwordProblem(password);
  const refuse = (message: string) => wantsJson(c)
    ? c.json({ error: { code: "invalid-request", message } }, 400)
    : c.html(resetPage(c.env.request.csrfToken, token, message), 400);
  if (problem !== undefined) return refuse(problem);
  if (!await resetPassword(c.env.db, token, password)) return refuse("this reset link is unknown, used or expired; ask for a new one");
  return wantsJson(c) ? c.body(null, 204) : c.redirect("login", 303);
});

async function cookieIdentity(c: Context<Env>) {
  const token = readCookie(c.req.header("cookie"), SESSION_COOKIE);
  return token === undefined ? undefined : await sessionIdentity(c.env.db, token);
}

/** Tells the host and every other plugin who is signed in (null when nobody is). */
async function identify(request: GlobalRequest, ctx: Ctx) {
  const token = request.cookie(SESSION_COOKIE);
  const identity = token === undefined ? undefined : await sessionIdentity(ctx.db, token);
  return { locals: { identity: identity ?? null } };
}

/** `<user> <role>` from a command's arguments, or an exit code after printing the usage. */
async function userAndRole(args: readonly string[], io: { stderr(text: string): void }, ctx: Ctx, usage: string) {
  const [name, role] = args;
  if (name === undefined || role === undefined || args.length !== 2) return void io.stderr(`usage: ${usage}\n`);
  const problem = roleProblem(role);
  if (problem !== undefined) return void io.stderr(`${problem}, got "${role}"\n`);
  const id = await userIdByName(ctx.db, name);
  if (id === undefined) return void io.stderr(`no user named "${name}"; users sign up at /plugins/auth/signup\n`);
  return { id, name, role };
}

export default definePlugin<Database>({
  app,
  migrations,
  globalHooks: { beforeRequest: identify },
  commands: {
    grant: {
      description: "Gives a user a role: grant <user> <role>",
      async run(args, io, ctx) {
        const target = await userAndRole(args, io, ctx, "npx corral run auth:grant <user> <role>");
        if (target === undefined) return 2;
        await grantRole(ctx.db, target.id, target.role);
        io.stdout(`granted "${target.role}" to "${target.name}"\n`);
      },
    },
    revoke: {
      description: "Takes a role from a user: revoke <user> <role>",
      async run(args, io, ctx) {
        const target = await userAndRole(args, io, ctx, "npx corral run auth:revoke <user> <role>");
        if (target === undefined) return 2;
        await revokeRole(ctx.db, target.id, target.role);
        io.stdout(`revoked "${target.role}" from "${target.name}"\n`);
      },
    },
    "reset-link": {
      description: "Prints a password reset link for a user (there is no mail server: give it to them yourself)",
      async run(args, io, ctx) {
        const [name] = args;
        const id = name === undefined ? undefined : await userIdByName(ctx.db, name);
        if (id === undefined) {
          io.stderr(name === undefined ? "usage: npx corral run auth:reset-link <user>\n" : `no user named "${name}"\n`);
          return 2;
        }
        const minutes = settings(ctx).resetMinutes;
        const token = await createResetToken(ctx.db, id, minutes);
        ctx.log.info("password reset link made", { user: name, minutes });
        io.stdout(`/plugins/auth/reset?token=${token}\n(valid ${minutes} minutes, once)\n`);
      },
    },
  },
});
