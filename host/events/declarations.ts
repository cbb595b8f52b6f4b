/**
 * Load-time checks of what the manifests say about events and extension points, as warnings:
 * nothing here is refused, because the other side may be installed later (a contribution to a
 * point nobody declares is simply never gathered).
 */
import { isReservedEvent } from "../../schemas/events.ts";
import type { Logger } from "../logger.ts";
import type { EventPeer } from "./peer.ts";

/** One warning about one plugin's manifest. */
export interface DeclarationWarning {
  readonly plugin: string;
  readonly message: string;
}

/** What is odd about the loaded plugins' events and extension points, in plugin name order. Pure. */
export function checkDeclarations(peers: Iterable<Pick<EventPeer, "name" | "manifest">>): DeclarationWarning[] {
  const list = [...peers].sort((a, b) => (a.name < b.name ? -1 : 1));
  const owners = new Map<string, string[]>();
  for (const peer of list) {
    for (const point of Object.keys(peer.manifest.extensionPoints)) owners.set(point, [...owners.get(point) ?? [], peer.name]);
  }
  const warnings: DeclarationWarning[] = [];
  for (const peer of list) {
    for (const name of peer.manifest.events.emits.filter(isReservedEvent)) {
      warnings.push({ plugin: peer.name, message: `events.emits lists "${name}", but names under "corral." are reserved to the host: emitting it will be refused` });
    }
    for (const point of peer.manifest.contributes) {
      if (!owners.has(point)) {
        warnings.push({ plugin: peer.name, message: `contributes to extension point "${point}", which no loaded plugin declares in its extensionPoints: the contribution is not gathered until one does` });
      }
    }
    for (const point of Object.keys(peer.manifest.extensionPoints)) {
      const all = owners.get(point)!;
      if (all.length > 1 && all[0] === peer.name) {
        warnings.push({ plugin: peer.name, message: `extension point "${point}" is declared by several plugins (${all.join(", ")}): each of them gathers the same contributions` });
      }
    }
  }
  return warnings;
}

/** Logs {@linkcode checkDeclarations}'s warnings, each on its plugin's logger. */
export function warnAboutDeclarations(peers: Iterable<EventPeer>, log: Logger): void {
  for (const warning of checkDeclarations(peers)) log.forPlugin(warning.plugin).warn(warning.message);
}
