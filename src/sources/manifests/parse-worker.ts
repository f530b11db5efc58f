/**
 * The parser thread's entry point (see parser-thread.ts, which starts it): one request at a time,
 * in order, each answered by parse-file.ts.
 *
 * Batches wait for credit (workerData: an Int32Array on shared memory that the event loop tops up
 * as it consumes batches). Without it the thread runs ahead, its batches pile up, and Node delivers
 * every pending message in one turn of the event loop: one long block, the thing this avoids.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { parseManifestFile } from './parse-file.ts';
import type { ParseReply, ParseRequest } from './parse-protocol.ts';

/** Re-checks the credit this often even without a wake-up (a missed notify costs a second, not a hang). */
const CREDIT_WAIT_MS = 1000;

const port = parentPort;
const credits = workerData as Int32Array;

function post(reply: ParseReply): void {
  if (reply.type === 'objects') {
    while (Atomics.load(credits, 0) <= 0) Atomics.wait(credits, 0, Atomics.load(credits, 0), CREDIT_WAIT_MS);
    Atomics.sub(credits, 0, 1);
  }
  port?.postMessage(reply);
}

port?.on('message', (request: ParseRequest) => parseManifestFile(request, post));
