/** The trivial app every benchmark target serves: GET / (text) and POST /echo (1 KB JSON echo). */
import { Hono } from "hono";

export function benchApp(): Hono {
  const app = new Hono();
  app.get("/", (c) => c.text("Hello, World!"));
  app.post("/echo", async (c) => c.json(await c.req.json()));
  return app;
}
