/**
 * Graph steps shared by the load order and the global hook order: a topological order with a
 * caller's tie-break, and the cycles a set of "needs" edges holds. Pure and deterministic.
 */

/** The names a node points at (its dependencies); names outside the graph are ignored. */
export type EdgesOf = (node: string) => readonly string[];

/** A placement: every node after all the nodes it points at; `stuck` holds what no order can place. */
export interface TopologicalOrder {
  readonly order: readonly string[];
  /** Nodes on a cycle, or waiting on one; empty for a graph without cycles. */
  readonly stuck: readonly string[];
}

/**
 * Kahn's algorithm: repeatedly takes, among the nodes whose dependencies are all placed, the one
 * that `first` ranks first. `first(a, b) < 0` puts `a` before `b`; it must be a total order
 * (e.g. end with a comparison of names) for the result not to depend on the input's order.
 *
 * @example
 * ```ts
 * topologicalOrder(["b", "a"], (n) => (n === "b" ? ["a"] : []), (x, y) => x < y ? -1 : 1).order; // ["a", "b"]
 * ```
 */
export function topologicalOrder(nodes: readonly string[], edgesOf: EdgesOf, first: (a: string, b: string) => number): TopologicalOrder {
  const inGraph = new Set(nodes);
  const waitingOn = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const node of inGraph) {
    const needs = new Set(edgesOf(node).filter((n) => inGraph.has(n)));
    waitingOn.set(node, needs.size);
    for (const need of needs) dependents.set(need, [...(dependents.get(need) ?? []), node]);
  }
  const ready = [...inGraph].filter((n) => waitingOn.get(n) === 0);
  const order: string[] = [];
  while (ready.length > 0) {
    // A linear scan keeps this simple; plugin sets are small (tens, maybe hundreds).
    let best = 0;
    for (let i = 1; i < ready.length; i++) if (first(ready[i]!, ready[best]!) < 0) best = i;
    const node = ready.splice(best, 1)[0]!;
    order.push(node);
    for (const dependent of dependents.get(node) ?? []) {
      const left = waitingOn.get(dependent)! - 1;
      waitingOn.set(dependent, left);
      if (left === 0) ready.push(dependent);
    }
  }
  const placed = new Set(order);
  return { order, stuck: [...inGraph].filter((n) => !placed.has(n)).sort(byName) };
}

/**
 * For every node that lies on a cycle, the shortest cycle through it, written from that node
 * back to it (`["a", "b", "a"]`; a node that needs itself gives `["a", "a"]`). Neighbours are
 * visited in name order, so the same graph always gives the same cycles.
 */
export function cyclesOf(nodes: readonly string[], edgesOf: EdgesOf): ReadonlyMap<string, readonly string[]> {
  const inGraph = new Set(nodes);
  const next = (node: string) => [...new Set(edgesOf(node))].filter((n) => inGraph.has(n)).sort(byName);
  const cycles = new Map<string, readonly string[]>();
  for (const component of stronglyConnected([...inGraph].sort(byName), next)) {
    const members = new Set(component);
    for (const start of component) {
      // Breadth-first inside the component, neighbours in name order: the first path back is
      // the shortest, and the tie-break is the name order.
      const cameFrom = new Map<string, string>();
      const queue = [start];
      let found = false;
      while (queue.length > 0 && !found) {
        const node = queue.shift()!;
        for (const target of next(node)) {
          if (!members.has(target)) continue;
          if (target === start) {
            const path = [start];
            for (let at = node; at !== start; at = cameFrom.get(at)!) path.push(at);
            cycles.set(start, [start, ...path.slice(1).reverse(), start]);
            found = true;
            break;
          }
          if (!cameFrom.has(target)) {
            cameFrom.set(target, node);
            queue.push(target);
          }
        }
      }
    }
  }
  return cycles;
}

/** Tarjan's strongly connected components that hold a cycle (two or more nodes, or a self-loop). */
function stronglyConnected(nodes: readonly string[], next: (node: string) => readonly string[]): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter++;
    stack.push(node);
    onStack.add(node);
    for (const target of next(node)) {
      if (!index.has(target)) {
        visit(target);
        low.set(node, Math.min(low.get(node)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(node, Math.min(low.get(node)!, index.get(target)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || next(node).includes(node)) components.push(component.sort(byName));
    }
  };
  for (const node of nodes) if (!index.has(node)) visit(node);
  return components;
}

/** Plain code-unit order: the same on every machine and locale. */
export function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `["c", "b", "a"]` as `c -> b -> a`. */
export function formatChain(chain: readonly string[]): string {
  return chain.join(" -> ");
}

/** The shortest path from `from` to `to` along the edges (neighbours in name order), or undefined. */
export function pathBetween(from: string, to: string, edgesOf: EdgesOf): readonly string[] | undefined {
  const cameFrom = new Map<string, string>([[from, from]]);
  const queue = [from];
  while (queue.length > 0) {
    const node = queue.shift()!;
    if (node === to) {
      const path = [to];
      for (let at = to; at !== from; at = cameFrom.get(at)!) path.push(cameFrom.get(at)!);
      return path.reverse();
    }
    for (const target of [...edgesOf(node)].sort(byName)) {
      if (cameFrom.has(target)) continue;
      cameFrom.set(target, node);
      queue.push(target);
    }
  }
  return undefined;
}
