// What a reload reads and reports: only new and changed files are read, each problem is reported
// once per change of its file, and two files defining the same object are refused deterministically.
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, rename, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ManifestDirectory } from '../../../src/sources/manifests/load.ts';
import { GOOD, reported, served, service, tempDir } from './manifest-dir.ts';

let t: Awaited<ReturnType<typeof tempDir>>;
let d: ManifestDirectory | undefined;
beforeEach(async () => { t = await tempDir(); });
afterEach(async () => {
  await d?.close();
  d = undefined;
  await t.remove();
});

const open = (limits?: ConstructorParameters<typeof ManifestDirectory>[1]): ManifestDirectory => {
  d = new ManifestDirectory(t.dir, limits);
  return d;
};

describe('manifests directory reloads', { timeout: 20_000 }, () => {
  it('reads only new and changed files', async () => {
    for (let i = 0; i < 20; i++) await t.put(`s${String(i).padStart(2, '0')}.yaml`, service(`s${i}`, `10.96.1.${i + 1}`));
    const dir = open();
    const first = await dir.load();
    assert.equal(first.read.length, 20);
    assert.equal(first.services.size, 20);
    assert.deepEqual((await dir.load()).read, [], 'nothing changed: nothing read');

    await t.put('s07.yaml', service('s7', '10.96.2.7'));
    await t.put('new.yaml', service('new', '10.96.3.1'));
    await rm(join(t.dir, 's11.yaml'));
    const r = await dir.load();
    assert.deepEqual(r.read, ['new.yaml', 's07.yaml']);
    assert.equal(r.services.get('shop/s7')?.clusterIPs[0], '10.96.2.7');
    assert.equal(r.services.has('shop/s11'), false, 'a removed file drops its objects');
    assert.equal(r.services.size, 20);
    assert.equal(r.services.get('shop/s3'), first.services.get('shop/s3'), 'an unchanged file\'s objects are the same objects (no update downstream)');
  });

  it('a ConfigMap-style symlink swap is read, though names, sizes and mtimes are unchanged', async () => {
    for (const [version, ip] of [['..v1', '10.96.0.1'], ['..v2', '10.96.0.2']] as const) {
      await mkdir(join(t.dir, version));
      await writeFile(join(t.dir, version, 'web.yaml'), service('web', ip));
      await utimes(join(t.dir, version, 'web.yaml'), 1000, 1000);
    }
    await symlink('..v1', join(t.dir, '..data'));
    await symlink('..data/web.yaml', join(t.dir, 'web.yaml'));
    const dir = open();
    assert.deepEqual(served(await dir.load()), ['svc shop/web 10.96.0.1']);
    await symlink('..v2', join(t.dir, '..data_tmp'));
    await rename(join(t.dir, '..data_tmp'), join(t.dir, '..data'));
    const r = await dir.load();
    assert.deepEqual([served(r), r.read], [['svc shop/web 10.96.0.2'], ['web.yaml']]);
  });

  it('a problem is reported once per change of its file: not on a reload, again after a touch or an edit', async () => {
    await t.put('good.yaml', GOOD);
    await t.put('bad.yaml', service('bad', '10.96.0.300'));
    const dir = open();
    const lines = async (): Promise<string[]> => reported(await dir.load()).map((p) => `${p.file} ${p.field}`);
    assert.deepEqual(await lines(), ['bad.yaml spec.clusterIP']);
    assert.deepEqual(await lines(), []);
    await utimes(join(t.dir, 'bad.yaml'), new Date(), new Date(Date.now() + 5000));
    assert.deepEqual(await lines(), ['bad.yaml spec.clusterIP'], 'touched: read and reported again');
    assert.deepEqual(await lines(), []);
    await t.put('bad.yaml', service('bad', '10.96.0.301'));
    assert.deepEqual(await lines(), ['bad.yaml spec.clusterIP'], 'edited, still bad: reported again');
    await t.put('bad.yaml', service('bad', '10.96.0.31'));
    const fixed = await dir.load();
    assert.deepEqual([reported(fixed), fixed.services.has('shop/bad')], [[], true]);
  });

  it('duplicates across files at start-up: the file that sorts first wins; one line names both files, once', async () => {
    await t.put('b.yaml', service('web', '10.96.0.2'));
    await t.put('a.yaml', service('web', '10.96.0.1'));
    const dir = open();
    const r = await dir.load();
    assert.deepEqual(served(r), ['svc shop/web 10.96.0.1']);
    const problems = reported(r);
    assert.deepEqual(problems.map((p) => [p.file, p.code, p.field]), [['b.yaml', 'ERR_MANIFEST_DUPLICATE', 'metadata.name']]);
    assert.match(problems[0]?.message ?? '', /Service shop\/web .*file a\.yaml.*file b\.yaml/);
    assert.deepEqual(reported(await dir.load()), [], 'not repeated while nothing changes');
    await t.put('b.yaml', `${service('web', '10.96.0.3')}# edited\n`);
    assert.deepEqual(reported(await dir.load()).map((p) => p.file), ['b.yaml'], 'the losing file changed: said again');
  });

  it('duplicates: the copy already served keeps winning, even against a file that sorts first', async () => {
    await t.put('m.yaml', service('web', '10.96.0.13'));
    const dir = open();
    assert.deepEqual(served(await dir.load()), ['svc shop/web 10.96.0.13']);
    await t.put('a.yaml', service('web', '10.96.0.1'));
    const r = await dir.load();
    assert.deepEqual(served(r), ['svc shop/web 10.96.0.13'], 'the incumbent stays');
    const problems = reported(r);
    assert.deepEqual(problems.map((p) => p.file), ['a.yaml']);
    assert.match(problems[0]?.message ?? '', /already served from file m\.yaml; the copy in file a\.yaml is ignored/);
    // Its own edit does not dislodge the incumbent either.
    await t.put('m.yaml', service('web', '10.96.0.14'));
    assert.deepEqual(served(await dir.load()), ['svc shop/web 10.96.0.14']);
    // Once the incumbent is gone, the other copy is served, and nothing is refused any more.
    await rm(join(t.dir, 'm.yaml'));
    const after = await dir.load();
    assert.deepEqual([served(after), reported(after)], [['svc shop/web 10.96.0.1'], []]);
  });

  it('a copied file: its duplicates are capped at maxProblemsPerFile lines and one summary', async () => {
    const text = Array.from({ length: 5 }, (_, i) => service(`s${i}`, `10.96.0.${i + 1}`)).join('---\n');
    await t.put('a.yaml', text);
    await t.put('copy.yaml', text);
    const r = await open({ limits: { maxProblemsPerFile: 2 } }).load();
    assert.equal(r.services.size, 5);
    assert.deepEqual([reported(r).map((p) => `${p.file} ${p.code}`), r.notes.map((n) => n.message)], [
      ['copy.yaml ERR_MANIFEST_DUPLICATE', 'copy.yaml ERR_MANIFEST_DUPLICATE'],
      ['file copy.yaml: 3 more duplicates not shown (the first 2 are)'],
    ]);
  });

  it('a duplicate inside one file: the first document wins, the line names both documents', async () => {
    await t.put('x.yaml', `${service('web', '10.96.0.1')}---\n${service('web', '10.96.0.2')}`);
    const r = await open().load();
    assert.deepEqual(served(r), ['svc shop/web 10.96.0.1']);
    assert.deepEqual(reported(r).map((p) => [p.code, p.message]), [
      ['ERR_MANIFEST_DUPLICATE', 'Service shop/web (file x.yaml): defined again in document 2; the first, in document 1, is used'],
    ]);
  });

  it('a part refused on its own is reported like an invalid object, with the configured node-port range', async () => {
    await t.put('np.yaml', 'kind: Service\nmetadata: {name: np}\nspec: {type: NodePort, clusterIP: 10.96.0.50, ports: [{name: a, port: 80, nodePort: 20005}, {name: b, port: 81, nodePort: 30080}]}\n');
    const r = await open({ modelLimits: { nodePortRange: { from: 20000, to: 20010 } } }).load();
    assert.deepEqual(r.services.get('default/np')?.ports.map((p) => p.nodePort), [20005, 0]);
    assert.deepEqual(reported(r).map((p) => [p.file, p.level, p.field]), [['np.yaml', 'error', 'spec.ports[1].nodePort']]);
  });

  it('at most maxProblemsPerFile lines per file, then one summary; other kinds in one debug note', async () => {
    const bad = Array.from({ length: 5 }, (_, i) => service(`bad${i}`, `10.96.0.${300 + i}`));
    await t.put('many.yaml', [...bad, 'kind: ConfigMap\nmetadata: {name: c}\n', 'kind: Deployment\nmetadata: {name: d}\n'].join('---\n'));
    const r = await open({ limits: { maxProblemsPerFile: 2 } }).load();
    assert.equal(r.problems.length, 2);
    assert.deepEqual(r.notes.map((n) => `${n.level} ${n.message}`), [
      'warn file many.yaml: 3 more problems not shown (the first 2 are)',
      'debug file many.yaml: ignored 2 objects of kinds ConfigMap, Deployment',
    ]);
  });
});
