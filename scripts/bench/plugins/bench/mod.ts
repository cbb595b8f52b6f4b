// Target (d): the bench app as a Corral plugin. It cannot import ../../app.ts (outside its folder
// in the namespace), so it repeats the two routes.
import { Hono } from "hono";
import { definePlugin } from "@corral/sdk";

const app = new Hono();
app.get("/", (c) => c.text("Hello, World!"));
app.post("/echo", async (c) => c.json(await c.req.json()));

export default definePlugin({ app });
