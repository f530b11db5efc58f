/**
 * `node bench/manifests-parse.ts`: how the manifests source loads large inputs, and how long it
 * holds the event loop while doing so (the health endpoint answers only between two slices). Runs
 * on the host, no sandbox or kernel: it reads generated files in a temporary directory.
 *
 *   a. one ~10 MB file of Services
 *   b. one file of 100,000 small documents
 *   c. 1000 small files, then one of them changed (how many files the change re-reads)
 *
 * The event-loop block is measured two ways: the largest gap between ticks of a 5 ms interval,
 * and perf_hooks' event-loop delay maximum (resolution 10 ms). Both include garbage collection
 * pauses and any time the OS gave the CPU to something else (the parser thread shares the
 * machine): run it on an otherwise idle machine. Stdout carries only the table.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { DAEMON_NODE_FLAGS } from '../src/cli/node-flags.ts';
import { ManifestDirectory, type LoadResult } from '../src/sources/manifests/load.ts';

// Measured as shipped: with the daemon's V8 flags (the young generation's size sets the scavenges' pauses).
if (!DAEMON_NODE_FLAGS.every((f) => process.execArgv.includes(f))) {
  const r = spawnSync(process.execPath, [...DAEMON_NODE_FLAGS, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

interface Row {
  readonly case: string;
  readonly input: string;
  readonly objects: number;
  readonly loadMs: number;
  readonly maxGapMs: number;
  readonly eldMaxMs: number;
  readonly filesRead: number;
}

const service = (i: number): string => `apiVersion: v1
kind: Service
metadata:
  name: svc-${i}
  namespace: bench
  labels: {app: web-${i}}
spec:
  clusterIP: 10.96.${(i >> 8) & 255}.${i & 255}
  ports:
  - name: http
    port: 80
    targetPort: 8080
    protocol: TCP
`;
const small = (i: number): string => `kind: Service\nmetadata: {name: s${i}}\nspec: {clusterIP: 10.97.${(i >> 8) & 255}.${i & 255}}\n`;

/** Runs `work` while probing the event loop. */
async function measured(work: () => Promise<LoadResult>): Promise<{ result: LoadResult; loadMs: number; maxGapMs: number; eldMaxMs: number }> {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  let last = performance.now();
  let maxGapMs = 0;
  const probe = setInterval(() => {
    const now = performance.now();
    maxGapMs = Math.max(maxGapMs, now - last);
    last = now;
  }, 5);
  histogram.enable();
  const started = performance.now();
  const result = await work();
  const loadMs = performance.now() - started;
  histogram.disable();
  clearInterval(probe);
  maxGapMs = Math.max(maxGapMs, performance.now() - last);
  return { result, loadMs, maxGapMs, eldMaxMs: histogram.max / 1e6 };
}

async function inDir(run: (dir: string) => Promise<Row[]>): Promise<Row[]> {
  const dir = await mkdtemp(join(tmpdir(), 'manifests-bench-'));
  try {
    return await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function oneFile(name: string, text: string, objects: number): Promise<Row[]> {
  return inDir(async (dir) => {
    await writeFile(join(dir, 'big.yaml'), text);
    const directory = new ManifestDirectory(dir);
    try {
      const m = await measured(() => directory.load());
      if (m.result.services.size !== objects) throw new Error(`${name}: loaded ${m.result.services.size} of ${objects} services`);
      return [{ case: name, input: `${(text.length / 1e6).toFixed(1)} MB`, objects, filesRead: m.result.read.length, ...round(m) }];
    } finally {
      await directory.close();
    }
  });
}

async function manyFiles(count: number): Promise<Row[]> {
  return inDir(async (dir) => {
    await Promise.all(Array.from({ length: count }, (_, i) => writeFile(join(dir, `s${String(i).padStart(4, '0')}.yaml`), small(i))));
    const directory = new ManifestDirectory(dir);
    try {
      const first = await measured(() => directory.load());
      await writeFile(join(dir, 's0500.yaml'), small(100_000));
      const change = await measured(() => directory.load());
      return [
        { case: 'c. 1000 files, first load', input: `${count} files`, objects: first.result.services.size, filesRead: first.result.read.length, ...round(first) },
        { case: 'c. then one file changed', input: '1 file', objects: change.result.services.size, filesRead: change.result.read.length, ...round(change) },
      ];
    } finally {
      await directory.close();
    }
  });
}

function round(m: { loadMs: number; maxGapMs: number; eldMaxMs: number }): Pick<Row, 'loadMs' | 'maxGapMs' | 'eldMaxMs'> {
  return { loadMs: Math.round(m.loadMs), maxGapMs: Math.round(m.maxGapMs), eldMaxMs: Math.round(m.eldMaxMs) };
}

function table(rows: readonly Row[]): string {
  const header = ['case', 'input', 'objects', 'load ms', 'max gap ms (5 ms probe)', 'ELD max ms', 'files read'];
  const lines = rows.map((r) => [r.case, r.input, String(r.objects), String(r.loadMs), String(r.maxGapMs), String(r.eldMaxMs), String(r.filesRead)]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const format = (cells: readonly string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [format(header), format(widths.map((w) => '-'.repeat(w))), ...lines.map(format)].join('\n');
}

const tenMB: string[] = [];
for (let i = 0, size = 0; size < 10_000_000; i++) {
  tenMB.push(service(i));
  size += (tenMB.at(-1)?.length ?? 0) + 4;
}
const hundredK = Array.from({ length: 100_000 }, (_, i) => small(i));

const rows: Row[] = [];
process.stderr.write('a. one 10 MB file…\n');
rows.push(...await oneFile('a. one 10 MB file', tenMB.join('---\n'), tenMB.length));
process.stderr.write('b. 100,000 documents…\n');
rows.push(...await oneFile('b. 100,000 documents', hundredK.join('---\n'), hundredK.length));
process.stderr.write('c. 1000 files…\n');
rows.push(...await manyFiles(1000));
process.stdout.write(`${table(rows)}\n`);
