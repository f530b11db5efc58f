/**
 * Change tracking for this node (model/node-state.ts), kube-proxy's {previous, current} shape: the
 * sources set what they know between syncs, and the sync commits it. Setting a value back before
 * the sync drops the change.
 */
import { initialNodeState, sameNodeState, type NodeAddresses, type NodeObjectFacts, type NodeState } from '../model/node-state.ts';

export interface NodeChange {
  readonly previous: NodeState;
  readonly current: NodeState;
}

export class NodeTracker {
  #committed: NodeState;
  #current: NodeState;

  constructor(name: string) {
    this.#committed = initialNodeState(name);
    this.#current = this.#committed;
  }

  get current(): NodeState {
    return this.#current;
  }

  /** The Node object changed; undefined: it is gone (its facts return to a node without an object). */
  setObject(facts: NodeObjectFacts | undefined): void {
    const base = initialNodeState(this.#current.name);
    const { labels, zone, eligible, primaryIPs } = facts ?? base;
    this.#current = { ...this.#current, labels, zone, eligible, primaryIPs };
  }

  setAddresses(addresses: NodeAddresses): void {
    this.#current = { ...this.#current, addresses };
  }

  get pending(): boolean {
    return !sameNodeState(this.#committed, this.#current);
  }

  /** What changed since the last commit; undefined when nothing did. */
  commit(): NodeChange | undefined {
    if (!this.pending) return undefined;
    const change = { previous: this.#committed, current: this.#current };
    this.#committed = this.#current;
    return change;
  }
}
