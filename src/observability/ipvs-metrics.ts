/**
 * ipvs-proxier's own metrics: the kernel's per-virtual-server IPVS counters (what `ipvsadm -L
 * --stats` shows), read from one shared dump per scrape. When the dump fails or times out the
 * series are left out of that scrape (never stale values presented as current) and
 * ipvs_proxier_virtual_server_scrape_failures_total says why.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { IpvsStats, VirtualServerDump } from '../kernel/ipvs/types.ts';
import type { StatsRead, VirtualServerStats } from './ipvs-stats.ts';

const LABELS = ['protocol', 'address', 'port'] as const;
type Label = (typeof LABELS)[number];
type Labels = Record<Label, string>;

interface Series {
  readonly name: string;
  readonly help: string;
  readonly kind: 'counter' | 'gauge';
  readonly value: (vs: VirtualServerDump) => number;
}

const stat = (field: keyof IpvsStats) => (vs: VirtualServerDump): number => vs.service.stats[field];

const SERIES: readonly Series[] = [
  { name: 'connections_total', help: 'Connections scheduled by the virtual server', kind: 'counter', value: stat('connections') },
  { name: 'packets_in_total', help: 'Incoming packets of the virtual server', kind: 'counter', value: stat('packetsIn') },
  { name: 'packets_out_total', help: 'Outgoing packets of the virtual server', kind: 'counter', value: stat('packetsOut') },
  { name: 'bytes_in_total', help: 'Incoming bytes of the virtual server', kind: 'counter', value: stat('bytesIn') },
  { name: 'bytes_out_total', help: 'Outgoing bytes of the virtual server', kind: 'counter', value: stat('bytesOut') },
  {
    name: 'active_connections', help: 'Active connections summed over the virtual server\'s real servers', kind: 'gauge',
    value: (vs) => vs.destinations.reduce((n, d) => n + d.activeConnections, 0),
  },
  {
    name: 'inactive_connections', help: 'Inactive connections summed over the virtual server\'s real servers', kind: 'gauge',
    value: (vs) => vs.destinations.reduce((n, d) => n + d.inactiveConnections, 0),
  },
];

export const IPVS_METRIC_PREFIX = 'ipvs_proxier_virtual_server_';

export function registerVirtualServerMetrics(registry: Registry, stats: VirtualServerStats): void {
  const counted = new WeakSet<StatsRead>();
  new Counter({
    name: `${IPVS_METRIC_PREFIX}scrape_failures_total`,
    help: 'IPVS dumps for a scrape that failed or timed out (the per-virtual-server series were left out)',
    labelNames: ['reason'], registers: [registry],
    // Series render concurrently: the failure must be counted in this metric's own collect, or
    // it would only show in the next scrape. Concurrent scrapes share a read: count it once.
    async collect() {
      const result = await stats.read();
      if (result.kind === 'ok' || counted.has(result)) return;
      counted.add(result);
      this.inc({ reason: result.kind });
    },
  });
  const read = async (): Promise<readonly VirtualServerDump[]> => {
    const result = await stats.read();
    return result.kind === 'ok' ? result.dump : [];
  };
  for (const s of SERIES) {
    const name = `${IPVS_METRIC_PREFIX}${s.name}`;
    const fill = (set: (labels: Labels, value: number) => void, dump: readonly VirtualServerDump[]): void => {
      for (const vs of dump) {
        const labels = labelsOf(vs);
        if (labels !== undefined) set(labels, s.value(vs));
      }
    };
    if (s.kind === 'counter') {
      new Counter({
        name, help: s.help, labelNames: LABELS, registers: [registry],
        async collect() {
          const dump = await read();
          this.reset();
          fill((labels, value) => this.inc(labels, value), dump);
        },
      });
    } else {
      new Gauge({
        name, help: s.help, labelNames: LABELS, registers: [registry],
        async collect() {
          const dump = await read();
          this.reset();
          fill((labels, value) => this.set(labels, value), dump);
        },
      });
    }
  }
}

/** fwmark services have no address/port identity; kube-proxy never creates them, so they are skipped. */
function labelsOf(vs: VirtualServerDump): Labels | undefined {
  const key = vs.service.key;
  if (key.kind !== 'address') return undefined;
  return { protocol: key.protocol, address: key.address, port: String(key.port) };
}
