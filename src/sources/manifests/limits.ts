/**
 * What one manifests directory may cost the daemon. Each bound turns an input that would stall or
 * exhaust the process into one skipped file or object with one log line (docs/configuration.md,
 * "Manifests mode", lists them for operators).
 */

export interface ManifestLimits {
  /** A larger file is skipped unread. */
  readonly maxFileBytes: number;
  /** Files are admitted in name order while their sizes add up to at most this; the rest are skipped. */
  readonly maxDirectoryBytes: number;
  /** A larger Service or EndpointSlice (measured as JSON) is skipped; so is one nested deeper than maxObjectDepth. */
  readonly maxObjectBytes: number;
  readonly maxObjectDepth: number;
  /** yaml's maxAliasCount: how far aliases may expand before a document counts as an alias bomb. */
  readonly maxAliasCount: number;
  /** A file's parse is abandoned (and the parser thread replaced) after this plus parseTimeoutMsPerMiB per MiB. */
  readonly parseTimeoutMs: number;
  readonly parseTimeoutMsPerMiB: number;
  /** Lines logged per file change; the rest are counted in one summary line. */
  readonly maxProblemsPerFile: number;
  /** The parser thread's V8 old-generation heap: a file that needs more is skipped, the daemon lives on. */
  readonly parserHeapMiB: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_MANIFEST_LIMITS: ManifestLimits = {
  // 64 MiB is some 200,000 Services in one file, far beyond any real directory, and its parse
  // (about 1 MB/s of YAML on a slow core) still finishes within the timeout below.
  maxFileBytes: 64 * MiB,
  // Four full-size files: bounds the memory the last good objects of every file can take.
  maxDirectoryBytes: 256 * MiB,
  // etcd's default request limit (--max-request-bytes, 1.5 MiB): no cluster can hold a larger
  // object. It also bounds the copy of one object onto the event loop, which must stay short.
  maxObjectBytes: 1.5 * MiB,
  // A Service or EndpointSlice is at most ~8 levels deep; the bound refuses cycles (an alias inside
  // its own anchor) and nesting that would overflow a stack, without refusing anything real.
  maxObjectDepth: 64,
  // The value the loader always used: real manifests use a handful of aliases, a bomb millions.
  maxAliasCount: 100,
  // 30 s for a hang no real file needs, plus 10 s per MiB: ten times the parse rate measured on
  // a slow core (bench/manifests-parse.ts), so a large legitimate file is never cut off.
  parseTimeoutMs: 30_000,
  parseTimeoutMsPerMiB: 10_000,
  // One file of 100,000 broken objects must not become 100,000 log lines.
  maxProblemsPerFile: 100,
  // Documents stream: a 43 MB file of 200,000 documents peaked at ~300 MiB. One document's syntax
  // tree is held whole, ~80 bytes per byte of YAML (an 8 MiB `kind: List` peaked at 690 MiB), so a
  // single document over ~12 MiB needs more than this; the thread then dies alone
  // (ERR_WORKER_OUT_OF_MEMORY) and the file is skipped, instead of the whole daemon running out.
  parserHeapMiB: 1024,
};

/** Objects (or ~bytes of them) per message from the parser thread: each message is copied onto the event loop in one go. */
export const BATCH_OBJECTS = 500;
export const BATCH_BYTES = MiB;
/**
 * The event loop runs object parsing for at most this long before letting other work in (healthz,
 * timers). One turn of the loop can run two slices (one as a batch arrives, one after a yield) plus
 * a garbage collection: 5 ms keeps the whole turn well under the 50 ms the loop may be held.
 */
export const SLICE_MS = 5;
