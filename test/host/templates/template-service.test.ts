// The templates.get and static.urls host services, through the service registry.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ErrorCode } from "../../../schemas/errors.ts";
import type { Manifest } from "../../../host/manifest/manifest.ts";
import { ServiceRegistry } from "../../../host/services/registry.ts";
import { plainStaticUrls, registerTemplateServices } from "../../../host/templates/template-service.ts";
import { rejection } from "../../helpers/assert.ts";

const service = suite<{ dir: string; services: ServiceRegistry }>("template service");
const caller = (name: string) => ({ name, manifest: { name } as Manifest });

service.before(async (ctx) => {
  ctx.dir = await mkdtemp(join(tmpdir(), "corral-tplsvc-"));
  await mkdir(join(ctx.dir, "host", "plugins", "demo"), { recursive: true });
  await mkdir(join(ctx.dir, "demo", "templates"), { recursive: true });
  await mkdir(join(ctx.dir, "other", "templates"), { recursive: true });
  await writeFile(join(ctx.dir, "demo", "templates", "page.hbs"), "plugin page");
  await writeFile(join(ctx.dir, "demo", "templates", "only.hbs"), "plugin only");
  await writeFile(join(ctx.dir, "host", "plugins", "demo", "page.hbs"), "override page");
  await writeFile(join(ctx.dir, "other", "templates", "secret.hbs"), "other's");
  ctx.services = new ServiceRegistry();
  const dirs: Record<string, string> = { demo: join(ctx.dir, "demo"), other: join(ctx.dir, "other") };
  registerTemplateServices(ctx.services, { templatesDir: join(ctx.dir, "host"), pluginDir: (name) => dirs[name], staticUrls: plainStaticUrls });
});
service.after(async (ctx) => rm(ctx.dir, { recursive: true, force: true }));

const get = (services: ServiceRegistry, name: string, payload: unknown) =>
  services.dispatch(caller(name), "templates.get", JSON.stringify(payload)).then((json) => json === "" ? undefined : JSON.parse(json));

service("the host's override wins; the plugin's file is next; a missing template is null", async ({ services }) => {
  assert.is((await get(services, "demo", { path: "page.hbs" })).source, "override page");
  assert.is((await get(services, "demo", { path: "page.hbs" })).origin, "override");
  assert.is((await get(services, "demo", { path: "only.hbs" })).source, "plugin only");
  assert.is((await get(services, "demo", { path: "only.hbs" })).origin, "plugin");
  assert.is(await get(services, "demo", { path: "none.hbs" }), null);
});

service("a plugin gets only its own templates: another plugin's are out of reach", async ({ services }) => {
  assert.is(await get(services, "demo", { path: "secret.hbs" }), null);
  const error = await rejection(get(services, "demo", { path: "../../other/templates/secret.hbs" }));
  assert.is(error.code, ErrorCode.CALL_DENIED);
});

service("a payload without a path is refused with a message that shows the expected shape", async ({ services }) => {
  const error = await rejection(get(services, "demo", { name: "page" }));
  assert.is(error.code, ErrorCode.CALL_FAILED);
  assert.match(error.message, /templates\.get expects \{ path: /);
});

service("static.urls gives no URLs by default (the SDK then uses the plain ones)", async ({ services }) => {
  assert.equal(JSON.parse(await services.dispatch(caller("demo"), "static.urls", "")), {});
});

service.run();
