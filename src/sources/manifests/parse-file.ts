/**
 * The parser thread's work for one file: read it (bounded), decode it (UTF-8 only), parse its YAML
 * documents one at a time and post the objects back in bounded batches. Runs off the event loop,
 * so it may take as long as a file needs; it must only never crash the thread (every failure is
 * posted as `failed`) and never post an unbounded message.
 *
 * YAML is parsed as 1.1, as Kubernetes' own reader (go-yaml v2) does, with duplicate keys an
 * error (as the API server's strict decoding).
 */
import { Composer, Parser, type YAMLParseError } from 'yaml';
import { decodeManifest, lineOf } from './decode.ts';
import { FileFailureError, type FileFailure } from './manifest-error.ts';
import { shapeObject } from './object-shape.ts';
import type { ParsedObject, ParseReply, ParseRequest } from './parse-protocol.ts';
import { readManifestBytes } from './read-file.ts';

export function parseManifestFile(request: ParseRequest, post: (reply: ParseReply) => void): void {
  try {
    const text = decodeManifest(readManifestBytes(request.path, request.maxFileBytes));
    const batch = new Batch(request, post);
    const documents = forEachObject(text, request, (o, bytes) => batch.add(o, bytes));
    batch.flush();
    post({ type: 'done', id: request.id, documents });
  } catch (err) {
    post({ type: 'failed', id: request.id, failure: toFailure(err) });
  }
}

class Batch {
  private objects: ParsedObject[] = [];
  private bytes = 0;
  private readonly request: ParseRequest;
  private readonly post: (reply: ParseReply) => void;

  constructor(request: ParseRequest, post: (reply: ParseReply) => void) {
    this.request = request;
    this.post = post;
  }

  add(object: ParsedObject, bytes: number): void {
    this.objects.push(object);
    this.bytes += bytes;
    if (this.objects.length >= this.request.batchObjects || this.bytes >= this.request.batchBytes) this.flush();
  }

  flush(): void {
    if (this.objects.length === 0) return;
    this.post({ type: 'objects', id: this.request.id, objects: this.objects });
    this.objects = [];
    this.bytes = 0;
  }
}

/** Streams the documents (a document's syntax tree is dropped before the next is built). Returns how many there were. */
function forEachObject(text: string, request: ParseRequest, emit: (object: ParsedObject, bytes: number) => void): number {
  const composer = new Composer({ version: '1.1', uniqueKeys: true });
  let documents = 0;
  for (const doc of composer.compose(new Parser().parse(text))) {
    documents++;
    const error = doc.errors[0];
    if (error !== undefined) throw yamlFailure(error, text, documents);
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: request.maxAliasCount });
    } catch (err) {
      // yaml throws ReferenceError exactly when aliases expand beyond maxAliasCount.
      if (!(err instanceof ReferenceError)) throw err;
      throw new FileFailureError('ERR_MANIFEST_ALIASES', 'document', `document ${documents}: YAML aliases expand beyond ${request.maxAliasCount} nodes (an alias bomb?)`);
    }
    if (value === null || value === undefined) continue; // an empty document: comments only, or `---` twice
    for (const [item, object] of expandList(value)) {
      const { parsed, bytes } = shapeObject(object, documents, item, request);
      emit(parsed, bytes);
    }
  }
  // Errors outside any document (say, a stray `]` alone in the file) come with the stream.
  const streamError = documents === 0 ? composer.streamInfo().errors[0] : undefined;
  if (streamError !== undefined) throw yamlFailure(streamError, text, 1);
  return documents;
}

/**
 * `kind: List` (kubectl's output) yields its items. A typed list (`ServiceList`, as the API
 * returns) does too, and its items, which the API sends without a kind, get the list's.
 */
function expandList(value: unknown): [number | undefined, unknown][] {
  if (typeof value !== 'object' || value === null || !('kind' in value) || !('items' in value)) return [[undefined, value]];
  const { kind, items } = value;
  if (typeof kind !== 'string' || !kind.endsWith('List') || !Array.isArray(items)) return [[undefined, value]];
  const itemKind = kind === 'List' ? undefined : kind.slice(0, -'List'.length);
  const apiVersion = 'apiVersion' in value ? value.apiVersion : undefined;
  return items.map((item: unknown, i): [number, unknown] => {
    const kindless = itemKind !== undefined && typeof item === 'object' && item !== null && !Array.isArray(item) && !('kind' in item);
    return [i, kindless ? { apiVersion, kind: itemKind, ...item } : item];
  });
}

function yamlFailure(error: YAMLParseError, text: string, document: number): FileFailureError {
  const offset = error.pos[0];
  const line = lineOf(text, offset);
  const column = offset - text.lastIndexOf('\n', offset - 1);
  const message = error.message.split('\n')[0] ?? error.code;
  return new FileFailureError('ERR_INVALID_VALUE', 'document', `YAML: ${message} (document ${document}, line ${line}, column ${column})`);
}

function toFailure(err: unknown): FileFailure {
  if (err instanceof FileFailureError) return err.failure;
  // The parser recursing past the stack, or a string past V8's maximum length.
  if (err instanceof RangeError) return { code: 'ERR_MANIFEST_TOO_LARGE', field: 'document', reason: `too deeply nested or too large for the YAML parser (${err.message})` };
  return { code: 'ERR_MANIFEST_PARSER', field: 'document', reason: `the YAML parser failed: ${String(err)}` };
}
