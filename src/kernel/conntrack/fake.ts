/**
 * In-memory conntrack table. Flows are keyed by their original tuple like the kernel's table
 * (a second identical tuple is EEXIST, as ctnetlink's IPCTNL_MSG_CT_NEW with NLM_F_EXCL), and
 * deletion uses the same filter semantics and validation as the CLI implementation.
 */
import { Errno, KernelError } from '../../errors.ts';
import { parseAddress, parsePort, type IpFamily } from '../../validate/validate.ts';
import { describeFilter, parseUdpFlowFilter } from './filter.ts';
import type { Conntrack, UdpFlowFilter } from './types.ts';

export interface FakeFlow {
  readonly protocol: 'udp' | 'tcp';
  readonly family: IpFamily;
  readonly source: string;
  readonly sourcePort: number;
  readonly destination: string;
  readonly destinationPort: number;
}

export class FakeConntrack implements Conntrack {
  readonly #flows = new Map<string, FakeFlow>();
  /** Every filter passed to deleteUdpFlows, validated, in order. */
  readonly deletions: UdpFlowFilter[] = [];

  addFlow(flow: FakeFlow): void {
    const ctx = { operation: 'conntrack.addFlow', object: `${flow.protocol} ${flow.source} -> ${flow.destination}` };
    const src = parseAddress(flow.source, ctx, 'source');
    const dst = parseAddress(flow.destination, ctx, 'destination');
    if (src.family !== flow.family || dst.family !== flow.family) {
      throw new KernelError(Errno.EINVAL, ctx, 'address family mismatch');
    }
    const canonical: FakeFlow = {
      ...flow,
      source: src.address,
      destination: dst.address,
      sourcePort: parsePort(flow.sourcePort, ctx, 'sourcePort'),
      destinationPort: parsePort(flow.destinationPort, ctx, 'destinationPort'),
    };
    const key = flowKey(canonical);
    if (this.#flows.has(key)) throw new KernelError(Errno.EEXIST, ctx);
    this.#flows.set(key, canonical);
  }

  flows(): FakeFlow[] {
    return [...this.#flows.values()];
  }

  deleteUdpFlows(filter: UdpFlowFilter): Promise<number> {
    return Promise.resolve().then(() => this.#delete(filter));
  }

  #delete(filter: UdpFlowFilter): number {
    const valid = parseUdpFlowFilter(filter, { operation: 'conntrack.deleteUdpFlows', object: describeFilter(filter) });
    this.deletions.push(valid);
    let deleted = 0;
    for (const [key, flow] of this.#flows) {
      if (matches(flow, valid)) {
        this.#flows.delete(key);
        deleted++;
      }
    }
    return deleted;
  }
}

function matches(flow: FakeFlow, filter: UdpFlowFilter): boolean {
  return flow.protocol === 'udp'
    && flow.family === filter.family
    && flow.destination === filter.destination
    && (filter.destinationPort === undefined || flow.destinationPort === filter.destinationPort)
    && (filter.source === undefined || flow.source === filter.source);
}

function flowKey(flow: FakeFlow): string {
  return [flow.protocol, flow.family, flow.source, flow.sourcePort, flow.destination, flow.destinationPort].join(' ');
}
