/**
 * The messages between the event loop and the parser thread. One request per file; the replies
 * are zero or more `objects` batches, then exactly one `done` or `failed`. A `failed` after some
 * batches voids them: the file keeps what it held before, as a file that does not parse at all.
 */
import type { FileFailure, ManifestErrorCode } from './manifest-error.ts';

export interface ParseRequest {
  readonly id: number;
  readonly path: string;
  readonly maxFileBytes: number;
  readonly maxObjectBytes: number;
  readonly maxObjectDepth: number;
  readonly maxAliasCount: number;
  readonly batchObjects: number;
  readonly batchBytes: number;
}

/**
 * One object of the file. Services and EndpointSlices come whole; other kinds only as their
 * apiVersion, kind and name (all the loader reads of them), so a directory shared with large
 * Deployments or CRDs does not copy them onto the event loop.
 */
export interface ParsedObject {
  /** 1-based YAML document; `item` is the 0-based index inside a `kind: List`. */
  readonly document: number;
  readonly item?: number | undefined;
  readonly object: unknown;
  /** For a document that is not an object: `a string`, `a list`, … (`object` is then undefined). */
  readonly shape?: string | undefined;
  /** Set when the object itself was refused in the thread (too large, too deep); `object` is then its stub. */
  readonly refused?: { readonly code: ManifestErrorCode; readonly field: string; readonly reason: string } | undefined;
}

export type ParseReply =
  | { readonly type: 'objects'; readonly id: number; readonly objects: readonly ParsedObject[] }
  | { readonly type: 'done'; readonly id: number; readonly documents: number }
  | { readonly type: 'failed'; readonly id: number; readonly failure: FileFailure };
