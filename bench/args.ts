/** Command-line flags of `npm run bench` (sizes are flags so a quick run can use --services 1000). */
import { parseArgs } from 'node:util';

export interface BenchOptions {
  readonly services: number;
  readonly endpoints: number;
  /** Endpoint changes measured one by one (≥ 200 for a meaningful p99). */
  readonly changes: number;
  /** Nodes the endpoints are spread over; endpoints on this node land in KUBE-LOOP-BACK. */
  readonly nodes: number;
  readonly seed: number;
  readonly json: boolean;
}

const USAGE = 'usage: bench/run.ts [--services N] [--endpoints N] [--changes N] [--nodes N] [--seed N] [--json]';

export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      services: { type: 'string', default: '10000' },
      endpoints: { type: 'string', default: '10' },
      changes: { type: 'string', default: '200' },
      nodes: { type: 'string', default: '10' },
      seed: { type: 'string', default: '1' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const services = positive('services', values.services, 65_000);
  return {
    services,
    endpoints: positive('endpoints', values.endpoints, 1000),
    changes: positive('changes', values.changes, 1_000_000),
    nodes: positive('nodes', values.nodes, 10_000),
    seed: positive('seed', values.seed, 2 ** 31),
    json: values.json,
  };
}

/** Service addresses come from 10.96.0.0/16, so 65,000 services is the ceiling of this workload. */
function positive(name: string, text: string, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new RangeError(`--${name} must be an integer in 1..${max}, got ${text}\n${USAGE}`);
  return n;
}
