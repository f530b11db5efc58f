/** Shared pieces for the API source tests: a captured logger, and a source wired to a fake server. */
import { pino, type Logger } from 'pino';
import type { KubeConfig } from '@kubernetes/client-node';
import { ApiSource, type ApiSourceOptions } from '../../../../src/sources/api/api-source.ts';
import type { NodeInfo } from '../../../../src/sources/api/node.ts';
import type { EndpointSliceInfo, Service } from '../../../../src/model/types.ts';
import type { FakeApiServer } from '../../../support/apiserver/server.ts';
import { Activity } from '../../../helpers/activity.ts';
import { ManualClock } from '../../../helpers/manual-clock.ts';

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [key: string]: unknown;
}

/** A logger whose lines are kept (parsed) in `lines`; `onLine` runs after each. */
export function captureLogger(onLine: () => void = () => undefined): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'debug' }, {
    write: (text: string) => {
      lines.push(JSON.parse(text) as LogLine);
      onLine();
    },
  });
  return { logger, lines };
}

/** `restartInMs` of every logged informer failure of `informer`. */
export function restartDelays(lines: readonly LogLine[], informer: string): number[] {
  return lines.filter((l) => l['informer'] === informer && typeof l['restartInMs'] === 'number').map((l) => l['restartInMs'] as number);
}

export type Change<V> = readonly [V | undefined, V | undefined];

export interface SourceFixture {
  readonly source: ApiSource;
  readonly clock: ManualClock;
  readonly log: LogLine[];
  readonly services: Change<Service>[];
  readonly slices: Change<EndpointSliceInfo>[];
  readonly nodes: (NodeInfo | undefined)[];
  restartDelays(informer: string): number[];
  /** Resolves once `condition` holds, re-checked whenever the source or the server did something. */
  until(condition: () => boolean, what: string): Promise<void>;
}

export function sourceFixture(kubeConfig: KubeConfig, overrides: Partial<ApiSourceOptions> = {}, api?: FakeApiServer): SourceFixture {
  const clock = new ManualClock();
  const activity = new Activity();
  api?.onActivity(activity.notify);
  const { logger, lines } = captureLogger(activity.notify);
  const services: Change<Service>[] = [];
  const slices: Change<EndpointSliceInfo>[] = [];
  const nodes: (NodeInfo | undefined)[] = [];
  const record = <T>(list: T[], item: T): void => {
    list.push(item);
    activity.notify();
  };
  const source = new ApiSource({
    kubeConfig,
    nodeName: 'node-a',
    logger,
    clock,
    random: () => 0.5, // jitter factor exactly 1: delays are 500, 1000, 2000…
    handlers: {
      onService: (a, b) => record(services, [a, b]),
      onEndpointSlice: (a, b) => record(slices, [a, b]),
      onNode: (n) => record(nodes, n),
    },
    ...overrides,
  });
  return {
    source, clock, log: lines, services, slices, nodes,
    restartDelays: (informer) => restartDelays(lines, informer),
    until: (condition, what) => activity.until(condition, what),
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
