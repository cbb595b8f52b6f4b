/**
 * The mark `definePlugin()` puts on a plugin definition, so the runner can tell one from any object.
 *
 * @module
 */

/**
 * Registered (`Symbol.for`) rather than private, so a definition still passes when the plugin and
 * the runner happen to load two copies of the SDK. It guards against mistakes, not against forgery.
 */
export const PLUGIN_BRAND: unique symbol = Symbol.for("corral.plugin-definition");
