/**
 * Reads Service and EndpointSlice manifests from a directory: `.yaml`, `.yml` and `.json` files,
 * multi-document files and `kind: List` included.
 *
 * Bad input never costs good state, and never costs other files: an entry that cannot be read, a
 * file that does not parse or is too large, an object that fails validation — each is skipped on
 * its own with one problem naming the file (and the object and field, when there is one). A file
 * that fails keeps the objects it held the last time it parsed; an invalid object keeps its last
 * good version (when it had one).
 *
 * Only new and changed files are read (by their stat key), so each problem is reported once per
 * change of its file. Reading and YAML parsing happen in a parser thread; the event loop only
 * turns bounded batches of plain objects into model values, in slices.
 */
import { join } from 'node:path';
import { realClock, type Clock } from '../../clock.ts';
import { ValidationError } from '../../errors.ts';
import { DEFAULT_MODEL_LIMITS, type ModelLimits } from '../../model/parse-result.ts';
import { listEntries, type Entry } from './entries.ts';
import { formatBytes } from './fs-reasons.ts';
import { FileObjects, type FileResult } from './file-objects.ts';
import { BATCH_BYTES, BATCH_OBJECTS, DEFAULT_MANIFEST_LIMITS, type ManifestLimits } from './limits.ts';
import { ManifestError, READ_MANIFESTS, type FileFailure } from './manifest-error.ts';
import { conflictError, conflictSignature, mergeFiles, type Conflict } from './merge.ts';
import { ParserThread } from './parser-thread.ts';
import { Slicer } from './slicer.ts';
import { emptyObjects, type LoadResult, type ManifestObjects, type ManifestProblem, type ManifestNote } from './types.ts';

export type { LoadResult, ManifestObjects, ManifestProblem, ManifestNote } from './types.ts';

export interface ManifestDirectoryOptions {
  /** Times the per-file parse deadline (default: real time). */
  readonly clock?: Clock | undefined;
  readonly limits?: Partial<ManifestLimits> | undefined;
  /** What the model parsers enforce from configuration (the node-port range). */
  readonly modelLimits?: ModelLimits | undefined;
  /** The parser thread's script (tests substitute one that misbehaves). */
  readonly workerUrl?: URL | undefined;
}

interface FileState {
  /** The entry key whose outcome (objects, or failure) this is: the same key is not read again. */
  readonly key: string;
  /** What the file held the last time it parsed. */
  readonly objects: ManifestObjects;
}

export class ManifestDirectory {
  private readonly dir: string;
  private readonly limits: ManifestLimits;
  private readonly modelLimits: ModelLimits;
  private readonly parser: ParserThread;
  private readonly files = new Map<string, FileState>();
  /** The previous load's owner of each `Kind namespace/name`, and its duplicate refusals. */
  private owners: ReadonlyMap<string, string> = new Map();
  private conflicts = new Set<string>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(dir: string, options: ManifestDirectoryOptions = {}) {
    this.dir = dir;
    this.limits = { ...DEFAULT_MANIFEST_LIMITS, ...options.limits };
    this.modelLimits = options.modelLimits ?? DEFAULT_MODEL_LIMITS;
    this.parser = new ParserThread({ clock: options.clock ?? realClock, heapMiB: this.limits.parserHeapMiB, workerUrl: options.workerUrl });
  }

  /** Loads run one at a time, in call order. Throws only when the directory itself cannot be read. */
  load(): Promise<LoadResult> {
    const result = this.queue.then(() => this.loadNow());
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Ends the parser thread; a load in progress fails. */
  close(): Promise<void> {
    return this.parser.close();
  }

  private async loadNow(): Promise<LoadResult> {
    const entries = withinDirectoryBudget(await listEntries(this.dir, this.limits.maxFileBytes), this.limits.maxDirectoryBytes);
    const problems: ManifestProblem[] = [];
    const notes: ManifestNote[] = [];
    const read: string[] = [];
    const slicer = new Slicer();
    for (const entry of entries) {
      const state = this.files.get(entry.name);
      if (state?.key === entry.key) continue;
      const previous = state?.objects ?? emptyObjects();
      if (entry.failure === undefined) read.push(entry.name);
      const outcome = entry.failure === undefined ? await this.readFile(entry, previous, slicer) : entry.failure;
      if ('objects' in outcome) {
        this.files.set(entry.name, { key: entry.key, objects: outcome.objects });
        problems.push(...outcome.problems);
        notes.push(...outcome.notes);
      } else {
        this.files.set(entry.name, { key: entry.key, objects: previous });
        problems.push({ file: entry.name, level: 'error', error: fileError(entry.name, outcome) });
      }
    }
    const names = new Set(entries.map((e) => e.name));
    for (const gone of [...this.files.keys()].filter((f) => !names.has(f))) this.files.delete(gone);
    const merged = await mergeFiles(entries.flatMap((e) => this.fileObjects(e.name)), this.owners, slicer);
    this.reportConflicts(merged.conflicts, new Set(read), problems, notes);
    this.owners = merged.owners;
    return { services: merged.services, slices: merged.slices, problems, notes, read };
  }

  private fileObjects(name: string): [string, ManifestObjects][] {
    const state = this.files.get(name);
    return state === undefined ? [] : [[name, state.objects]];
  }

  /** One file through the parser thread: its result, or why it failed as a whole. */
  private async readFile(entry: Entry, previous: ManifestObjects, slicer: Slicer): Promise<FileResult | FileFailure> {
    const l = this.limits;
    const file = new FileObjects(entry.name, previous, this.modelLimits, l.maxProblemsPerFile);
    const replies = this.parser.parse({
      path: join(this.dir, entry.name), maxFileBytes: l.maxFileBytes, maxObjectBytes: l.maxObjectBytes, maxObjectDepth: l.maxObjectDepth,
      maxAliasCount: l.maxAliasCount, batchObjects: BATCH_OBJECTS, batchBytes: BATCH_BYTES,
    }, l.parseTimeoutMs + Math.ceil((entry.size / (1024 * 1024)) * l.parseTimeoutMsPerMiB));
    for await (const reply of replies) {
      if (reply.type === 'failed') return reply.failure;
      if (reply.type === 'done') break;
      for (const object of reply.objects) {
        file.add(object);
        await slicer.pause();
      }
    }
    return file.finish();
  }

  /**
   * Duplicate refusals not reported last time, or whose files changed since; per refused file at
   * most maxProblemsPerFile lines (a copied file duplicates every object it has).
   */
  private reportConflicts(conflicts: readonly Conflict[], read: ReadonlySet<string>, problems: ManifestProblem[], notes: ManifestNote[]): void {
    const previous = this.conflicts;
    this.conflicts = new Set(conflicts.map(conflictSignature));
    const perFile = new Map<string, number>();
    for (const c of conflicts.filter((c) => !previous.has(conflictSignature(c)) || read.has(c.winner) || read.has(c.loser))) {
      const count = (perFile.get(c.loser) ?? 0) + 1;
      perFile.set(c.loser, count);
      if (count <= this.limits.maxProblemsPerFile) problems.push({ file: c.loser, level: 'error', error: conflictError(c) });
    }
    for (const [file, count] of perFile) {
      const more = count - this.limits.maxProblemsPerFile;
      if (more > 0) notes.push({ file, level: 'warn', message: `file ${file}: ${more} more duplicates not shown (the first ${this.limits.maxProblemsPerFile} are)` });
    }
  }
}

/** Admits files in name order while their sizes add up to the budget; a file that does not fit is skipped. */
function withinDirectoryBudget(entries: readonly Entry[], maxBytes: number): Entry[] {
  let total = 0;
  return entries.map((e) => {
    if (e.failure !== undefined) return e;
    if (total + e.size <= maxBytes) {
      total += e.size;
      return e;
    }
    const failure: FileFailure = { code: 'ERR_MANIFEST_TOO_LARGE', field: 'size', reason: `over the ${formatBytes(maxBytes)} limit for the whole directory (the files before it, in name order, take ${formatBytes(total)})` };
    return { ...e, key: `${e.key}|over-budget`, failure };
  });
}

/** A YAML syntax error is an invalid value (the file is what is wrong); the rest are the file's own errors. */
function fileError(file: string, failure: FileFailure): ValidationError | ManifestError {
  if (failure.code === 'ERR_INVALID_VALUE') return new ValidationError(failure.field, file, failure.reason, { operation: READ_MANIFESTS, object: `file ${file}` });
  return new ManifestError(failure.code, file, failure.field, `file ${file}: ${failure.reason}`);
}
