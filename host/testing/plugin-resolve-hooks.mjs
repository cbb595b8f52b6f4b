// Module resolution hooks for plugin authors' Node tests: `corral` and `corral/<subpath>` resolve
// as if imported from inside this Corral package (its package.json "exports" decide what is
// public), so a plugin folder outside the project needs no node_modules of its own.
const PACKAGE_JSON = new URL("../../package.json", import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
  if (specifier === "corral" || specifier.startsWith("corral/")) {
    return nextResolve(specifier, { ...context, parentURL: PACKAGE_JSON });
  }
  return nextResolve(specifier, context);
}
