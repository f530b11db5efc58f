// ManifestDirectory on real temp directories: formats, other kinds, and last-good retention on bad input.
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ValidationError } from '../../../src/errors.ts';
import { ManifestDirectory, type LoadResult } from '../../../src/sources/manifests/load.ts';

let dir = '';
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'manifests-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

const put = (file: string, text: string): Promise<void> => writeFile(join(dir, file), text);

const WEB = `apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  clusterIP: 10.96.0.10
  ports: [{name: http, port: 80}]
`;
const WEB_SLICE = `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-1, namespace: shop, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
ports: [{name: http, port: 8080}]
endpoints:
  - addresses: [10.244.0.5]
    conditions: {ready: yes}
  - addresses: [10.244.0.6]
    conditions: {ready: no, serving: on, terminating: yes}
`;

/** `shop/web:80 10.96.0.10` and `shop/web-1 10.244.0.5:8080 r…` lines: what a load produced, compactly. */
function summary(r: LoadResult): string[] {
  const services = [...r.services].map(([k, s]) => `svc ${k} ${s.clusterIPs.join(',')} ${s.ports.map((p) => `${p.name}:${p.port}/${p.protocol}`).join(',')}`);
  const slices = [...r.slices].map(([k, s]) => `slice ${k} -> ${s.serviceName} ${[...s.endpointsByPort].map(([port, eps]) => `${port}=${eps.map((e) => `${e.address}:${e.port}${e.ready ? 'R' : ''}${e.serving ? 'S' : ''}${e.terminating ? 'T' : ''}`).join(',')}`).join(' ')}`);
  return [...services, ...slices].sort();
}

function problems(r: LoadResult): string[] {
  return r.problems.map((p) => {
    assert.ok(p.error instanceof ValidationError, String(p.error));
    return `${p.file}: ${p.error.message}`;
  });
}

describe('ManifestDirectory', () => {
  it('multi-document YAML with other kinds mixed in; YAML 1.1 booleans (yes/no/on)', async () => {
    await put('web.yaml', `${WEB}---\n${WEB_SLICE}---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n---\n# empty document\n`);
    const r = await new ManifestDirectory(dir).load();
    assert.deepEqual(problems(r), []);
    assert.deepEqual(summary(r), [
      'slice shop/web-1 -> web http/TCP=10.244.0.5:8080RS,10.244.0.6:8080ST',
      'svc shop/web 10.96.0.10 http:80/TCP',
    ]);
  });

  it('kind: List, JSON files, and files that are not manifests', async () => {
    await put('list.yml', `apiVersion: v1\nkind: List\nitems:\n- ${WEB.replaceAll('\n', '\n  ').trimEnd()}\n- {kind: ConfigMap, metadata: {name: c}}\n`);
    await put('db.json', JSON.stringify({ kind: 'Service', metadata: { name: 'db', namespace: 'shop' }, spec: { clusterIP: '10.96.0.20', ports: [{ name: 'pg', port: 5432 }] } }));
    await put('README.md', 'kind: Service\n');
    await put('.hidden.yaml', WEB.replace('name: web', 'name: hidden'));
    const r = await new ManifestDirectory(dir).load();
    assert.deepEqual(problems(r), []);
    assert.deepEqual(summary(r), ['svc shop/db 10.96.0.20 pg:5432/TCP', 'svc shop/web 10.96.0.10 http:80/TCP']);
  });

  it('a YAML syntax error keeps that file\'s last good objects and names the file', async () => {
    const d = new ManifestDirectory(dir);
    await put('web.yaml', `${WEB}---\n${WEB_SLICE}`);
    await put('db.yaml', WEB.replaceAll('web', 'db').replace('10.96.0.10', '10.96.0.20'));
    const good = summary(await d.load());
    await put('web.yaml', `${WEB}---\nkind: EndpointSlice\nmetadata: {name: [unclosed\n`);
    await put('db.yaml', WEB.replaceAll('web', 'db').replace('10.96.0.10', '10.96.0.21'));
    const r = await d.load();
    assert.deepEqual(summary(r), good.map((l) => l.replace('10.96.0.20', '10.96.0.21')), 'web.yaml kept whole; db.yaml still reloads');
    assert.equal(r.problems.length, 1);
    assert.equal(r.problems[0]?.file, 'web.yaml');
    assert.equal(r.problems[0]?.error.object, 'file web.yaml');
    assert.match(r.problems[0]?.error.message ?? '', /^invalid document of file web\.yaml: "web\.yaml" \(YAML: /);
  });

  it('a syntax error in a file that never parsed yields nothing but the problem', async () => {
    await put('bad.yaml', 'kind: Service\nmetadata: {name: x\n');
    const r = await new ManifestDirectory(dir).load();
    assert.deepEqual(summary(r), []);
    assert.deepEqual(r.problems.map((p) => p.file), ['bad.yaml']);
  });

  it('duplicate keys are a syntax error (as the API server\'s strict decoding)', async () => {
    await put('dup.yaml', 'kind: Service\nmetadata: {name: x}\nspec: {clusterIP: 10.96.0.1}\nspec: {clusterIP: 10.96.0.2}\n');
    const r = await new ManifestDirectory(dir).load();
    assert.deepEqual([summary(r), r.problems.map((p) => (p.error instanceof ValidationError ? p.error.field : p.error.code))], [[], ['document']]);
  });

  it('an invalid object keeps its last good version; the error names file and object; siblings update', async () => {
    const d = new ManifestDirectory(dir);
    await put('web.yaml', `${WEB}---\n${WEB_SLICE}`);
    await d.load();
    await put('web.yaml', `${WEB.replace('port: 80', 'port: 70000')}---\n${WEB_SLICE.replace('10.244.0.5', '10.244.0.7')}`);
    const r = await d.load();
    assert.deepEqual(summary(r), [
      'slice shop/web-1 -> web http/TCP=10.244.0.7:8080RS,10.244.0.6:8080ST',
      'svc shop/web 10.96.0.10 http:80/TCP',
    ]);
    assert.deepEqual(problems(r), ['web.yaml: invalid spec.ports[0].port of Service shop/web (file web.yaml): 70000 (must be an integer 1..65535)']);
    // Fixed again: the new version is taken and the problem is gone.
    await put('web.yaml', WEB.replace('port: 80', 'port: 81'));
    const fixed = await d.load();
    assert.deepEqual([summary(fixed), problems(fixed)], [['svc shop/web 10.96.0.10 http:81/TCP'], []]);
  });

  it('an invalid object that never had a good version is skipped, reported once per change of its file', async () => {
    const d = new ManifestDirectory(dir);
    // A wrong-family endpoint is only a problem of the slice (its other endpoints are served): an unknown addressType is the object's.
    await put('web.yaml', WEB_SLICE.replace('addressType: IPv4', 'addressType: IPv5'));
    for (let i = 0; i < 2; i++) {
      const r = await d.load();
      assert.deepEqual(summary(r), []);
      const expected = i === 0 ? ['web.yaml: invalid addressType of EndpointSlice shop/web-1 (file web.yaml): "IPv5" (must be one of IPv4, IPv6, FQDN)'] : [];
      assert.deepEqual(problems(r), expected, i === 0 ? 'reported' : 'the file did not change: not reported again');
    }
  });

  it('a removed file drops its objects, and a re-created broken file does not resurrect them', async () => {
    const d = new ManifestDirectory(dir);
    await put('web.yaml', WEB);
    await put('db.json', JSON.stringify({ kind: 'Service', metadata: { name: 'db' }, spec: { clusterIP: '10.96.0.20' } }));
    assert.equal((await d.load()).services.size, 2);
    await rm(join(dir, 'web.yaml'));
    assert.deepEqual(summary(await d.load()), ['svc default/db 10.96.0.20 ']);
    await put('web.yaml', 'kind: Service\nmetadata: {name: [\n');
    const r = await d.load();
    assert.deepEqual([summary(r), r.problems.length], [['svc default/db 10.96.0.20 '], 1]);
  });

  it('headless and ExternalName services and FQDN slices are silently ignored', async () => {
    await put('x.yaml', [
      'kind: Service\nmetadata: {name: h}\nspec: {clusterIP: None}',
      'kind: Service\nmetadata: {name: e}\nspec: {type: ExternalName, externalName: db.example}',
      'kind: EndpointSlice\nmetadata: {name: f, labels: {kubernetes.io/service-name: e}}\naddressType: FQDN\nendpoints: [{addresses: [db.example]}]',
      'kind: EndpointSlice\nmetadata: {name: orphan}\nendpoints: [{addresses: [10.244.0.1]}]',
    ].join('\n---\n'));
    const r = await new ManifestDirectory(dir).load();
    assert.deepEqual([summary(r), r.problems.length], [[], 0]);
  });

  it('objects labelled for another proxy or headless are skipped, as the API source\'s label selector does', async () => {
    await put('x.yaml', [
      'kind: Service\nmetadata: {name: other, labels: {service.kubernetes.io/service-proxy-name: kube-router}}\nspec: {clusterIP: 10.96.0.20, ports: [{port: 80}]}',
      // an empty value is still a present label (`!label` means the key is absent)
      'kind: Service\nmetadata: {name: empty, labels: {service.kubernetes.io/service-proxy-name: ""}}\nspec: {clusterIP: 10.96.0.21, ports: [{port: 80}]}',
      'kind: EndpointSlice\nmetadata: {name: other-1, labels: {kubernetes.io/service-name: other, service.kubernetes.io/service-proxy-name: kube-router}}\naddressType: IPv4\nendpoints: [{addresses: [10.244.0.1]}]',
      'kind: EndpointSlice\nmetadata: {name: h-1, labels: {kubernetes.io/service-name: h, service.kubernetes.io/headless: ""}}\naddressType: IPv4\nendpoints: [{addresses: [10.244.0.2]}]',
      'kind: Service\nmetadata: {name: mine, labels: {app: web}}\nspec: {clusterIP: 10.96.0.22, ports: [{port: 80}]}',
    ].join('\n---\n'));
    const r = await new ManifestDirectory(dir).load();
    assert.deepEqual([summary(r), r.problems.length], [['svc default/mine 10.96.0.22 :80/TCP'], 0]);
  });
});
