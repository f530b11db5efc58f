/** Shared pieces for the API source tests: a captured logger, polling, and a source wired to a fake server. */
import { pino, type Logger } from 'pino';
import type { KubeConfig } from '@kubernetes/client-node';
import { ApiSource, type ApiSourceOptions } from '../../../../src/sources/api/api-source.ts';
import type { NodeInfo } from '../../../../src/sources/api/node.ts';
import type { EndpointSliceInfo, Service } from '../../../../src/model/types.ts';
import { ManualClock } from '../../../helpers/manual-clock.ts';

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [key: string]: unknown;
}

export function captureLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (text: string) => { lines.push(JSON.parse(text) as LogLine); } });
  return { logger, lines };
}

/** Polls real time: the fake server and the client do real I/O. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 4000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export type Change<V> = readonly [V | undefined, V | undefined];

export interface SourceFixture {
  readonly source: ApiSource;
  readonly clock: ManualClock;
  readonly log: LogLine[];
  readonly services: Change<Service>[];
  readonly slices: Change<EndpointSliceInfo>[];
  readonly nodes: (NodeInfo | undefined)[];
  /** `restartInMs` of every logged informer failure, per informer. */
  restartDelays(informer: string): number[];
}

export function sourceFixture(kubeConfig: KubeConfig, overrides: Partial<ApiSourceOptions> = {}): SourceFixture {
  const clock = new ManualClock();
  const { logger, lines } = captureLogger();
  const services: Change<Service>[] = [];
  const slices: Change<EndpointSliceInfo>[] = [];
  const nodes: (NodeInfo | undefined)[] = [];
  const source = new ApiSource({
    kubeConfig,
    nodeName: 'node-a',
    logger,
    clock,
    random: () => 0.5, // jitter factor exactly 1: delays are 500, 1000, 2000…
    handlers: {
      onService: (a, b) => services.push([a, b]),
      onEndpointSlice: (a, b) => slices.push([a, b]),
      onNode: (n) => nodes.push(n),
    },
    ...overrides,
  });
  return {
    source, clock, log: lines, services, slices, nodes,
    restartDelays: (informer) => lines.filter((l) => l['informer'] === informer && typeof l['restartInMs'] === 'number').map((l) => l['restartInMs'] as number),
  };
}

export function nodeObject(name = 'node-a', extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'topology.kubernetes.io/zone': 'zone-1' } },
    status: { addresses: [{ type: 'InternalIP', address: '10.0.0.1' }, { type: 'Hostname', address: name }] },
    ...extra,
  };
}

export function withLabels(object: Record<string, unknown>, labels: Record<string, string>): Record<string, unknown> {
  const metadata = object['metadata'] as Record<string, unknown>;
  return { ...object, metadata: { ...metadata, labels: { ...(metadata['labels'] as Record<string, string> | undefined), ...labels } } };
}
