// The parser thread: a file that hangs it or crashes it, or needs more than its heap, is skipped
// alone and the next file gets a fresh thread; what it sends back is batched and bounded.
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_MANIFEST_LIMITS } from '../../../src/sources/manifests/limits.ts';
import { ManifestDirectory } from '../../../src/sources/manifests/load.ts';
import { parseManifestFile } from '../../../src/sources/manifests/parse-file.ts';
import { PARSE_WORKER_URL, ParserThread } from '../../../src/sources/manifests/parser-thread.ts';
import type { ParseReply, ParseRequest } from '../../../src/sources/manifests/parse-protocol.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';
import { reported, served, service, tempDir } from './manifest-dir.ts';

const MISBEHAVING = new URL('./fixtures/hanging-parse-worker.ts', import.meta.url);

let t: Awaited<ReturnType<typeof tempDir>>;
let d: ManifestDirectory | undefined;
beforeEach(async () => { t = await tempDir(); });
afterEach(async () => {
  await d?.close();
  d = undefined;
  await t.remove();
});

function request(path: string, over: Partial<ParseRequest> = {}): ParseRequest {
  const l = DEFAULT_MANIFEST_LIMITS;
  return {
    id: 1, path, maxFileBytes: l.maxFileBytes, maxObjectBytes: l.maxObjectBytes, maxObjectDepth: l.maxObjectDepth,
    maxAliasCount: l.maxAliasCount, batchObjects: 500, batchBytes: 1024 * 1024, ...over,
  };
}

/** parse-file.ts in this thread: the replies it would post. */
function parseHere(path: string, over: Partial<ParseRequest> = {}): ParseReply[] {
  const replies: ParseReply[] = [];
  parseManifestFile(request(path, over), (r) => replies.push(r));
  return replies;
}

describe('the parser thread', { timeout: 20_000 }, () => {
  it('a file that hangs the thread is skipped at its deadline; the thread is replaced; the file is not retried until it changes', async () => {
    // hang.yaml sorts first: the first deadline set is its own.
    await t.put('hang.yaml', service('h', '10.96.0.2'));
    await t.put('m.yaml', service('m', '10.96.0.1'));
    await t.put('z.yaml', service('z', '10.96.0.3'));
    const clock = new ManualClock();
    const timeout = DEFAULT_MANIFEST_LIMITS.parseTimeoutMs;
    d = new ManifestDirectory(t.dir, { clock, workerUrl: MISBEHAVING });
    const loading = d.load();
    await clock.whenDueWithin(timeout + 1000); // hang.yaml's deadline (30 s plus its share of 10 s per MiB)
    await clock.advance(timeout + 1000);
    const r = await loading;
    assert.deepEqual(served(r), ['svc shop/m 10.96.0.1', 'svc shop/z 10.96.0.3']);
    assert.deepEqual(reported(r).map((p) => [p.file, p.code, p.field]), [['hang.yaml', 'ERR_MANIFEST_TIMEOUT', 'file']]);
    const again = await d.load();
    assert.deepEqual([served(again), reported(again), again.read], [served(r), [], []]);
  });

  it('a file that crashes the thread is skipped; the next file gets a new thread', async () => {
    await t.put('crash.yaml', service('c', '10.96.0.2'));
    await t.put('z.yaml', service('z', '10.96.0.3'));
    d = new ManifestDirectory(t.dir, { workerUrl: MISBEHAVING });
    const r = await d.load();
    assert.deepEqual(served(r), ['svc shop/z 10.96.0.3']);
    assert.deepEqual(reported(r).map((p) => [p.file, p.code]), [['crash.yaml', 'ERR_MANIFEST_PARSER']]);
  });

  it('a file that needs more than the thread\'s heap is skipped as too large; the daemon lives on', async () => {
    const items = Array.from({ length: 8000 }, (_, i) => `- {kind: ConfigMap, metadata: {name: c${i}}, data: {k: v${i}}}`);
    await t.put('huge-list.yaml', `kind: List\nitems:\n${items.join('\n')}\n`);
    await t.put('z.yaml', service('z', '10.96.0.3'));
    d = new ManifestDirectory(t.dir, { limits: { parserHeapMiB: 16 } });
    const r = await d.load();
    assert.deepEqual(served(r), ['svc shop/z 10.96.0.3']);
    assert.deepEqual(reported(r).map((p) => [p.file, p.code]), [['huge-list.yaml', 'ERR_MANIFEST_TOO_LARGE']]);
  });

  it('closing during a load fails that load with a typed error', async () => {
    await t.put('hang.yaml', service('h', '10.96.0.2'));
    d = new ManifestDirectory(t.dir, { workerUrl: MISBEHAVING, clock: new ManualClock() });
    const loading = d.load();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await d.close();
    await assert.rejects(loading, { code: 'ERR_MANIFEST_PARSER' });
  });

  it('a consumer that stops mid-file abandons it: the thread (waiting for credit) is replaced and the next file parses', async () => {
    await t.put('many.yaml', Array.from({ length: 1600 }, (_, i) => service(`s${i}`, '10.96.0.1')).join('---\n'));
    await t.put('one.yaml', service('one', '10.96.0.1'));
    const thread = new ParserThread({ clock: new ManualClock(), heapMiB: 256 });
    try {
      for await (const reply of thread.parse(request(join(t.dir, 'many.yaml')), 60_000)) {
        assert.equal(reply.type, 'objects');
        break;
      }
      const types: string[] = [];
      for await (const reply of thread.parse(request(join(t.dir, 'one.yaml')), 60_000)) types.push(reply.type);
      assert.deepEqual(types, ['objects', 'done']);
    } finally {
      await thread.close();
    }
  });

  it('the thread\'s script is next to its module, with the module\'s extension (.ts here, .js in dist/)', () => {
    assert.ok(PARSE_WORKER_URL.pathname.endsWith('/parse-worker.ts'));
    assert.ok(existsSync(PARSE_WORKER_URL));
  });

  it('posts objects in bounded batches, then done', async () => {
    await t.put('many.yaml', Array.from({ length: 1200 }, (_, i) => service(`s${i}`, '10.96.0.1')).join('---\n'));
    const replies = parseHere(join(t.dir, 'many.yaml'));
    assert.deepEqual(replies.map((r) => (r.type === 'objects' ? r.objects.length : r.type)), [500, 500, 200, 'done']);
    const bySize = parseHere(join(t.dir, 'many.yaml'), { batchBytes: 20_000 });
    assert.ok(bySize.length > 10 && bySize.every((r) => r.type !== 'objects' || r.objects.length < 500), 'a byte budget cuts batches too');
  });

  it('other kinds cross as stubs; lists are expanded, typed lists give their items their kind', async () => {
    await t.put('x.yaml', [
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: apps}\nspec: {replicas: 3, template: {spec: {containers: [{name: c, image: i}]}}}',
      'apiVersion: v1\nkind: ServiceList\nitems:\n- {metadata: {name: s}, spec: {clusterIP: 10.96.0.1}}',
      'apiVersion: v1\nkind: List\nitems:\n- {kind: ConfigMap, metadata: {name: c}}\n- {metadata: {name: nokind}}',
    ].join('\n---\n'));
    const objects = parseHere(join(t.dir, 'x.yaml')).flatMap((r) => (r.type === 'objects' ? r.objects : []));
    assert.deepEqual(objects, [
      { document: 1, item: undefined, object: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'apps' } } },
      { document: 2, item: 0, object: { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { clusterIP: '10.96.0.1' } } },
      { document: 3, item: 0, object: { apiVersion: undefined, kind: 'ConfigMap', metadata: { name: 'c', namespace: undefined } } },
      { document: 3, item: 1, object: { apiVersion: undefined, kind: undefined, metadata: { name: 'nokind', namespace: undefined } } },
    ]);
  });

  it('a YAML error names document, line and column; objects posted before it are voided by `failed`', async () => {
    await t.put('x.yaml', `${service('a', '10.96.0.1')}---\nkind: Service\nmetadata: {name: [\n`);
    const replies = parseHere(join(t.dir, 'x.yaml'));
    const last = replies.at(-1);
    assert.equal(last?.type, 'failed');
    assert.match(last?.type === 'failed' ? last.failure.reason : '', /^YAML: .*\(document 2, line \d+, column \d+\)$/);
  });
});
