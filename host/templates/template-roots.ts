/**
 * Where a plugin's templates are looked for, first match wins: the host's override folder for
 * that plugin (`<templatesDir>/plugins/<name>/`), then the plugin's own `templates/`.
 */
import { join } from "node:path";

/** One folder templates are read from, and whose it is. */
export interface TemplateRoot {
  readonly dir: string;
  /** "override": the operator's; "plugin": the plugin's own (untrusted for host rendering). */
  readonly origin: "override" | "plugin";
}

/** The folders of plugin `name`, in the order they win. */
export function pluginTemplateRoots(templatesDir: string | undefined, name: string, pluginDir: string | undefined): TemplateRoot[] {
  const roots: TemplateRoot[] = [];
  if (templatesDir !== undefined) roots.push({ dir: join(templatesDir, "plugins", name), origin: "override" });
  if (pluginDir !== undefined) roots.push({ dir: join(pluginDir, "templates"), origin: "plugin" });
  return roots;
}
