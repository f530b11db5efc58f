/**
 * Why a manifest file, or an object in one, was skipped when the reason is not a bad field value
 * (that is a ValidationError): the file could not be read, is too large, is not UTF-8, the kind
 * looks mistyped, another file already serves the object… `code` says which; `file` and `field`
 * are what the log line names.
 */
import { ProxierError, type ErrorCode } from '../../errors.ts';

export type ManifestErrorCode = Extract<ErrorCode, `ERR_MANIFEST_${string}`>;

export const READ_MANIFESTS = 'read manifests';

export class ManifestError extends ProxierError {
  /** The directory entry, relative to the manifests directory. */
  readonly file: string;
  /** What is wrong: `file`, `size`, `encoding`, `document`, `kind`, `metadata.name`, … */
  readonly field: string;

  constructor(code: ManifestErrorCode, file: string, field: string, message: string, options: { object?: string; cause?: unknown } = {}) {
    super(code, message, { operation: READ_MANIFESTS, object: options.object ?? `file ${file}`, cause: options.cause });
    this.file = file;
    this.field = field;
  }
}

/** What the parser thread sends back instead of an Error (errors do not cross threads with their class). */
export interface FileFailure {
  readonly code: ManifestErrorCode | 'ERR_INVALID_VALUE';
  readonly field: string;
  /** Without the file name: `symbolic link loop (ELOOP)`. */
  readonly reason: string;
}

/** Thrown inside the parser thread; posted as a FileFailure. */
export class FileFailureError extends Error {
  readonly failure: FileFailure;

  constructor(code: FileFailure['code'], field: string, reason: string) {
    super(reason);
    this.failure = { code, field, reason };
  }
}
