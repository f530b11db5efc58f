/**
 * `npm run bench`: the engine against the real kernel at scale, in one sandbox boot. Each phase
 * (the C-tool baseline, then the engine) runs as its own process in its own fresh network
 * namespace (see phase.ts for why). Progress goes to stderr; stdout carries only the table, or with
 * --json one JSON object. Exits non-zero only when something is wrong (a failed write, a kernel
 * state that does not match); a missed target is a result, reported as MISS.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { DAEMON_NODE_FLAGS } from '../src/cli/node-flags.ts';
import { fileURLToPath } from 'node:url';
import { parseBenchArgs } from './args.ts';
import type { BaselineResult } from './baseline.ts';
import { formatTable, withTargets, type Measured } from './report.ts';

if (process.env['IPVS_PROXIER_SANDBOX'] !== '1') {
  process.stderr.write('bench: run it inside the sandbox: npm run bench (scripts/sandbox node bench/run.ts)\n');
  process.exit(2);
}

const flags = process.argv.slice(2);
const options = parseBenchArgs(flags);
const phaseScript = fileURLToPath(new URL('./phase.ts', import.meta.url));

// Namespaces are deleted only at the end: deleting one frees its IPVS state in a kernel worker,
// which would compete with the next phase for the CPU.
const namespaces: string[] = [];
let baseline: BaselineResult;
let engine: Omit<Measured, 'services' | 'endpoints' | 'destinations' | 'changes' | keyof BaselineResult>;
try {
  baseline = runPhase('baseline') as BaselineResult;
  engine = runPhase('engine') as typeof engine;
} finally {
  for (const netns of namespaces) execFileSync('ip', ['netns', 'del', netns]);
}
const result = withTargets({
  services: options.services,
  endpoints: options.endpoints,
  destinations: options.services * options.endpoints,
  changes: options.changes,
  ...baseline,
  ...engine,
});
process.stdout.write(options.json ? `${JSON.stringify(result)}\n` : formatTable(result));

/** Runs `node phase.ts NAME flags…` in a new network namespace (lo up) and returns its JSON. */
function runPhase(name: 'baseline' | 'engine'): unknown {
  const netns = `ipvs-bench-${name}`;
  execFileSync('ip', ['netns', 'add', netns]);
  namespaces.push(netns);
  // Without lo up the namespace has no local routing table and IPVS refuses every destination.
  execFileSync('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
  // The engine runs with the daemon's own V8 flags (bin/ipvs-proxier.js), so it is measured as shipped.
  const nodeFlags = name === 'engine' ? DAEMON_NODE_FLAGS : [];
  const r = spawnSync('nsenter', [`--net=/run/netns/${netns}`, process.execPath, ...nodeFlags, phaseScript, name, ...flags], {
    stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 16 * 1024 * 1024,
  });
  if (r.error !== undefined) throw r.error;
  if (r.status !== 0) throw new Error(`bench phase ${name} exited ${String(r.status ?? r.signal)}`);
  return JSON.parse(r.stdout) as unknown;
}
