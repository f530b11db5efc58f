/**
 * The JavaScript half of the sandbox's CPU-state self-test (docs/sandbox.md): worker threads and
 * libuv's thread pool doing vector-heavy work with known results in one process, long enough to be
 * preempted many times. glibc's memcpy/memcmp/memchr, OpenSSL's SHA-256 and zlib all use the
 * widest vector registers the CPU has, so if user-mode-linux (or the xstate interposer) let one
 * thread's register state leak into another's, some results come out wrong.
 *
 * `runWorkload(ms, minChecked)` runs for at least `ms` and until at least `minChecked` results were
 * checked (a slow or loaded host takes longer instead of checking too little), and returns how many
 * results were checked and how many were wrong.
 */
import { createHash, pbkdf2 } from 'node:crypto';
import { promisify } from 'node:util';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { deflate, inflate } from 'node:zlib';

export interface WorkloadResult {
  readonly checked: number;
  readonly wrong: number;
}

const BUFFER_BYTES = 1 << 20;

/** Deterministic, non-repeating content: a leak must change it, not land on equal bytes. */
function pattern(seed: number, bytes = BUFFER_BYTES): Buffer {
  const b = Buffer.allocUnsafe(bytes);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < bytes; i += 4) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    b.writeUInt32LE(x, i);
  }
  return b;
}

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

/** One worker: copy, compare, search, hash and JSON round trips, each against a known answer. */
function workerLoop(seed: number, ms: number, minChecked: number): WorkloadResult {
  const source = pattern(seed);
  const digest = sha256(source);
  const needle = source.subarray(BUFFER_BYTES - 64);
  const doc = { seed, values: Array.from({ length: 2000 }, (_, i) => ({ i, f: i / 7, s: `item-${seed}-${i}` })) };
  const json = JSON.stringify(doc);
  let checked = 0;
  let wrong = 0;
  const check = (ok: boolean): void => { checked++; if (!ok) wrong++; };
  const end = Date.now() + ms;
  while (Date.now() < end || checked < minChecked) {
    const copy = Buffer.from(source);
    check(copy.equals(source));
    check(copy.indexOf(needle) === BUFFER_BYTES - 64);
    check(sha256(copy) === digest);
    check(JSON.stringify(JSON.parse(json)) === json);
  }
  return { checked, wrong };
}

/** The main thread keeps libuv's pool busy with PBKDF2 and zlib round trips meanwhile. */
async function poolLoop(ms: number, minChecked: number): Promise<WorkloadResult> {
  const input = pattern(99, 256 * 1024);
  const key = (await promisify(pbkdf2)('secret', 'salt', 2000, 64, 'sha512')).toString('hex');
  const packed = await promisify(deflate)(input);
  let checked = 0;
  let wrong = 0;
  const end = Date.now() + ms;
  while (Date.now() < end || checked < minChecked) {
    const [k, packedAgain] = await Promise.all([
      promisify(pbkdf2)('secret', 'salt', 2000, 64, 'sha512'),
      promisify(deflate)(input),
    ]);
    const unpacked = await promisify(inflate)(packedAgain);
    for (const ok of [k.toString('hex') === key, packedAgain.equals(packed), unpacked.equals(input)]) {
      checked++;
      if (!ok) wrong++;
    }
  }
  return { checked, wrong };
}

export async function runWorkload(ms: number, minChecked = 0, workers = 4): Promise<WorkloadResult> {
  const each = Math.ceil(minChecked / (workers + 1));
  const running = Array.from({ length: workers }, (_, seed) => new Promise<WorkloadResult>((resolve, reject) => {
    const w = new Worker(new URL(import.meta.url), { workerData: { seed, ms, minChecked: each } });
    w.once('message', resolve);
    w.once('error', reject);
  }));
  const results = await Promise.all([...running, poolLoop(ms, each)]);
  return results.reduce((a, r) => ({ checked: a.checked + r.checked, wrong: a.wrong + r.wrong }), { checked: 0, wrong: 0 });
}

if (!isMainThread) {
  const { seed, ms, minChecked } = workerData as { seed: number; ms: number; minChecked: number };
  parentPort?.postMessage(workerLoop(seed, ms, minChecked));
}
