/**
 * The one long-lived thread that reads, decodes and YAML-parses manifest files (parse-worker.ts),
 * so that no file, however large or pathological, holds the event loop: the loop only receives
 * bounded batches of plain objects. Started on first use, replaced when it hangs past a file's
 * deadline, crashes or runs out of its heap (each of which skips that file alone), ended by close().
 */
import { extname } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Clock } from '../../clock.ts';
import { ProxierError } from '../../errors.ts';
import { READ_MANIFESTS, type FileFailure } from './manifest-error.ts';
import type { ParseReply, ParseRequest } from './parse-protocol.ts';
import { nodeErrorCode } from './fs-reasons.ts';
import { ReplyQueue } from './reply-queue.ts';

/**
 * The thread's script next to this module, with this module's own extension: `.ts` when the
 * sources run directly (Node strips the types), `.js` in the build (dist/).
 */
export const PARSE_WORKER_URL = new URL(`./parse-worker${extname(import.meta.url)}`, import.meta.url);

/**
 * Batches the thread may be ahead by: one being consumed, one ready for the next slice. Node
 * delivers all pending messages in one turn, so this bounds how much one turn deserializes.
 */
const BATCHES_IN_FLIGHT = 2;

export interface ParserThreadOptions {
  readonly clock: Clock;
  readonly heapMiB: number;
  /** The thread's script (tests substitute one that misbehaves). */
  readonly workerUrl?: URL | undefined;
}

export class ParserThread {
  private readonly o: ParserThreadOptions;
  private worker: Worker | undefined;
  /** The worker's credit: batches it may post before the event loop has consumed earlier ones. */
  private credits = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
  private current: { readonly id: number; readonly replies: ReplyQueue; readonly settle: () => void } | undefined;
  private nextId = 1;
  private closed = false;

  constructor(options: ParserThreadOptions) {
    this.o = options;
  }

  /** One file: its replies, ending with `done` or `failed`. One file at a time. */
  parse(request: Omit<ParseRequest, 'id'>, timeoutMs: number): AsyncIterable<ParseReply> {
    if (this.closed) throw closedError();
    if (this.current !== undefined) throw new Error('ParserThread.parse: one file at a time');
    const id = this.nextId++;
    const worker = this.ensureWorker();
    const credits = this.credits;
    Atomics.store(credits, 0, BATCHES_IN_FLIGHT);
    const replies = new ReplyQueue(() => {
      Atomics.add(credits, 0, 1);
      Atomics.notify(credits, 0);
    }, () => this.fail({ code: 'ERR_MANIFEST_PARSER', field: 'file', reason: 'abandoned while being parsed' }));
    const timer = this.o.clock.setTimeout(() => {
      this.fail({ code: 'ERR_MANIFEST_TIMEOUT', field: 'file', reason: `not parsed within ${timeoutMs / 1000} s; the parser thread was replaced` });
    }, timeoutMs);
    this.current = {
      id,
      replies,
      settle: () => {
        this.o.clock.clearTimer(timer);
        this.current = undefined;
        this.worker?.unref(); // idle, it must not keep the process alive (--once exits after its load)
      },
    };
    worker.ref();
    worker.postMessage({ ...request, id } satisfies ParseRequest);
    return replies;
  }

  /** Ends the thread; a file being parsed fails its load. */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    const current = this.current;
    current?.settle();
    current?.replies.fail(closedError());
    await worker?.terminate();
  }

  private ensureWorker(): Worker {
    if (this.worker !== undefined) return this.worker;
    this.credits = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
    const worker = new Worker(this.o.workerUrl ?? PARSE_WORKER_URL, {
      workerData: this.credits,
      resourceLimits: { maxOldGenerationSizeMb: this.o.heapMiB },
      // None of the process's Node flags: the thread needs none (V8's apply to the whole process
      // anyway), and some (--input-type, --eval) stop a worker from starting at all.
      execArgv: [],
    });
    worker.on('message', (reply: ParseReply) => this.received(reply));
    worker.on('messageerror', (err) => this.failed(worker, { code: 'ERR_MANIFEST_PARSER', field: 'document', reason: `a parsed batch could not be received (${String(err)})` }));
    worker.on('error', (err) => this.failed(worker, crashFailure(err, this.o.heapMiB)));
    worker.on('exit', (code) => this.failed(worker, { code: 'ERR_MANIFEST_PARSER', field: 'file', reason: `the parser thread exited (${code})` }));
    this.worker = worker;
    return worker;
  }

  private received(reply: ParseReply): void {
    const current = this.current;
    if (current === undefined || reply.id !== current.id) return; // from a file already given up on
    if (reply.type !== 'objects') current.settle();
    current.replies.push(reply);
  }

  /** An event of `worker`: if it is still the thread in use, it is dropped, and the file it had fails. */
  private failed(worker: Worker, failure: FileFailure): void {
    if (worker !== this.worker) return;
    this.fail(failure);
  }

  /** The file being parsed fails; the thread is ended and the next file gets a new one. */
  private fail(failure: FileFailure): void {
    const worker = this.worker;
    this.worker = undefined;
    void worker?.terminate();
    const current = this.current;
    if (current === undefined) return;
    current.settle();
    current.replies.push({ type: 'failed', id: current.id, failure });
  }
}

function crashFailure(err: unknown, heapMiB: number): FileFailure {
  if (nodeErrorCode(err) === 'ERR_WORKER_OUT_OF_MEMORY') {
    return { code: 'ERR_MANIFEST_TOO_LARGE', field: 'file', reason: `parsing it needs more than the parser thread's ${heapMiB} MiB heap` };
  }
  return { code: 'ERR_MANIFEST_PARSER', field: 'file', reason: `the parser thread failed: ${String(err)}` };
}

function closedError(): ProxierError {
  return new ProxierError('ERR_MANIFEST_PARSER', 'the manifests directory was closed while it was being read', { operation: READ_MANIFESTS });
}
