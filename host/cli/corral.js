#!/usr/bin/env node
// The `corral` command of package.json's "bin" (npx corral): runs the TypeScript CLI through tsx,
// as npm start runs the host, with no build step.
import { register } from "tsx/esm/api";

register();
await import("./main.ts");
