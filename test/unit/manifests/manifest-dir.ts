/**
 * Shared by the manifests-directory tests: a temp directory per test, good objects to check
 * nothing else is affected, and compact views of a load's objects and problems.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ValidationError } from '../../../src/errors.ts';
import type { LoadResult } from '../../../src/sources/manifests/load.ts';
import { ManifestError } from '../../../src/sources/manifests/manifest-error.ts';

export async function tempDir(): Promise<{ dir: string; put: (file: string, text: string | Buffer) => Promise<void>; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'manifests-'));
  return {
    dir,
    put: (file, text) => writeFile(join(dir, file), text),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** A Service and its slice, plus a kind that is not ours: the state every bad input must leave alone. */
export const GOOD = `apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {clusterIP: 10.96.0.10, ports: [{name: http, port: 80}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-1, namespace: shop, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
ports: [{name: http, port: 8080}]
endpoints: [{addresses: [10.244.0.5]}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
`;

export const service = (name: string, ip: string, extra = ''): string =>
  `apiVersion: v1\nkind: Service\nmetadata: {name: ${name}, namespace: shop}\nspec: {clusterIP: ${ip}, ports: [{name: http, port: 80}]${extra}}\n`;

/** `svc shop/web 10.96.0.10`, `slice shop/web-1 10.244.0.5`: what a load serves, sorted. */
export function served(r: LoadResult): string[] {
  return [
    ...[...r.services].map(([k, s]) => `svc ${k} ${s.clusterIPs.join(',')}`),
    ...[...r.slices].map(([k, s]) => `slice ${k} ${[...s.endpointsByPort.values()].flat().map((e) => e.address).join(',')}`),
  ].sort();
}

export interface Reported {
  readonly file: string;
  readonly level: string;
  readonly code: string;
  readonly field: string;
  readonly message: string;
}

export function reported(r: LoadResult): Reported[] {
  return r.problems.map((p) => {
    const field = p.error instanceof ValidationError || p.error instanceof ManifestError ? p.error.field : '?';
    return { file: p.file, level: p.level, code: p.error.code, field, message: p.error.message };
  });
}
