/**
 * The `extensions.contribute` entry point: answers a gathering with the plugin's contribution.
 *
 * @module
 */

import { CorralError, ErrorCode } from "../../../schemas/errors.ts";
import type { PluginInternals } from "../_plugin-internals.ts";

/**
 * Runs `definition.contributions[point]` with the owner's `args` and answers its value (JSON;
 * `undefined` becomes null). A throw is logged in the plugin's log with its stack and answered
 * with CALL_FAILED, which the owner sees as this plugin's error entry.
 *
 * @throws CorralError CALL_FAILED for a malformed request, a point with no contribution, or a contribution that threw.
 */
export async function contribute(plugin: PluginInternals, payload: unknown): Promise<unknown> {
  const { context } = plugin;
  const point = (payload as { point?: unknown } | null)?.point;
  if (typeof point !== "string") {
    throw new CorralError(ErrorCode.CALL_FAILED, `"extensions.contribute" expects {point, args}, got ${JSON.stringify(payload)?.slice(0, 100)}`);
  }
  const contributions = plugin.definition.contributions ?? {};
  const handler = Object.hasOwn(contributions, point) ? contributions[point] : undefined;
  if (handler === undefined) {
    throw new CorralError(ErrorCode.CALL_FAILED,
      `plugin "${context.name}" lists "${point}" in its manifest's contributes but defines no contribution for it: add contributions: { "${point}": (args, ctx) => value } to definePlugin()`);
  }
  try {
    return (await handler((payload as { args?: unknown }).args ?? null, context)) ?? null;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    context.log.error(`contribution to "${point}" failed: ${message}`, {
      error: error instanceof Error ? error.name : typeof error,
      stack: error instanceof Error ? error.stack : undefined,
    });
    throw new CorralError(ErrorCode.CALL_FAILED, `plugin "${context.name}": its contribution to "${point}" threw: ${message}`, { cause: error });
  }
}
