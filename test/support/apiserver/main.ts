/**
 * Runs the fake API server as a process, for sandbox end-to-end tests:
 *
 *   node test/support/apiserver/main.ts --port 6443 [--manifests DIR] [--token TOKEN]
 *
 * Objects (Services, EndpointSlices, Nodes; YAML or JSON, multi-document, `kind: List`) are loaded
 * from DIR at start; after that, change them over HTTP with POST/PUT/DELETE on the real API paths.
 * Prints one JSON line `{"url": ...}` on stdout once it listens.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { FakeApiServer } from './server.ts';

const MANIFEST_FILE = /\.(ya?ml|json)$/;

async function loadManifests(api: FakeApiServer, dir: string): Promise<number> {
  let count = 0;
  for (const file of (await readdir(dir)).filter((f) => MANIFEST_FILE.test(f)).sort()) {
    for (const doc of parseAllDocuments(await readFile(join(dir, file), 'utf8'), { version: '1.1' })) {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
      const value = doc.toJS() as Record<string, unknown> | null;
      const objects = value?.['kind'] === 'List' ? (value['items'] as unknown[]) : [value];
      for (const object of objects) {
        if (object === null || object === undefined) continue;
        api.apply(object);
        count += 1;
      }
    }
  }
  return count;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      manifests: { type: 'string' },
      token: { type: 'string' },
      'bookmark-interval-ms': { type: 'string' },
    },
  });
  const interval = values['bookmark-interval-ms'];
  const api = await FakeApiServer.start({
    port: Number(values.port),
    ...(values.token === undefined ? {} : { token: values.token }),
    ...(interval === undefined ? {} : { bookmarkIntervalMs: Number(interval) }),
  });
  const loaded = values.manifests === undefined ? 0 : await loadManifests(api, values.manifests);
  process.stdout.write(`${JSON.stringify({ url: api.url, objects: loaded })}\n`);
  const shutdown = (): void => { api.close().then(() => process.exit(0), () => process.exit(1)); };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((err: unknown) => {
  process.stderr.write(`fake apiserver: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
