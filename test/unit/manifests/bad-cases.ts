/**
 * The bad-input table of the manifests-directory tests, and the checks every case gets: skipped
 * alone with one problem naming the entry, its code and its field, once per change; the good
 * objects of other files unaffected; the file's last good version kept; files added later loaded.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ErrorCode } from '../../../src/errors.ts';
import type { ManifestLimits } from '../../../src/sources/manifests/limits.ts';
import { ManifestDirectory } from '../../../src/sources/manifests/load.ts';
import { GOOD, reported, served, service } from './manifest-dir.ts';

export interface BadCase {
  readonly name: string;
  readonly entry: string;
  /** Makes `entry` bad (it does not exist when called). */
  readonly create: (path: string) => Promise<void>;
  readonly code: ErrorCode;
  readonly field: string;
  /** `warn`: not skipped as bad, but ignored as not ours with a warning. */
  readonly level?: 'warn';
  readonly limits?: Partial<ManifestLimits>;
  /** The entry's objects are kept (false: it parses, and holds nothing of ours any more). */
  readonly keeps?: false;
}

const text = (t: string | Buffer) => (path: string): Promise<void> => writeFile(path, t);
/** Bad files define `victim` again, so a skipped object is seen to keep its last good version. */
const BAD_SERVICE = service('victim', '10.96.0.99');

function aliasBomb(): string {
  const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 9; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]`);
  return `${lines.join('\n')}\nkind: Service\nmetadata: {name: bad}\nspec: {clusterIP: 10.96.0.99, x: *a8}\n`;
}

/** Entries that cannot be read, or not as UTF-8 text within the limits: the file is skipped whole. */
export const ENTRY_CASES: readonly BadCase[] = [
  { name: 'symlink loop', entry: 'loop.yaml', create: (p) => symlink(p, p), code: 'ERR_MANIFEST_UNREADABLE', field: 'file' },
  { name: 'dangling symlink', entry: 'dangling.yaml', create: (p) => symlink('/nonexistent/x.yaml', p), code: 'ERR_MANIFEST_UNREADABLE', field: 'file' },
  { name: 'a directory named x.yaml', entry: 'dir.yaml', create: (p) => mkdir(p), code: 'ERR_MANIFEST_NOT_A_FILE', field: 'file' },
  { name: 'a FIFO (never opened)', entry: 'fifo.yaml', create: (p) => { execFileSync('mkfifo', [p]); return Promise.resolve(); }, code: 'ERR_MANIFEST_NOT_A_FILE', field: 'file' },
  { name: 'a character device (never read)', entry: 'zero.yaml', create: (p) => symlink('/dev/zero', p), code: 'ERR_MANIFEST_NOT_A_FILE', field: 'file' },
  { name: 'a file over the per-file limit', entry: 'big.yaml', create: text(`${BAD_SERVICE}# ${'x'.repeat(600)}\n`), code: 'ERR_MANIFEST_TOO_LARGE', field: 'size', limits: { maxFileBytes: 500 } },
  { name: 'a file over the directory total', entry: 'zz.yaml', create: text(`${BAD_SERVICE}# ${'x'.repeat(300)}\n`), code: 'ERR_MANIFEST_TOO_LARGE', field: 'size', limits: { maxDirectoryBytes: GOOD.length + 200 } },
  { name: 'UTF-16 with a byte-order mark', entry: 'utf16.yaml', create: text(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(BAD_SERVICE, 'utf16le')])), code: 'ERR_MANIFEST_ENCODING', field: 'encoding' },
  { name: 'UTF-16BE with a byte-order mark', entry: 'utf16be.yaml', create: text(Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(BAD_SERVICE, 'utf16le').swap16()])), code: 'ERR_MANIFEST_ENCODING', field: 'encoding' },
  { name: 'UTF-16 without a byte-order mark', entry: 'nobom.yaml', create: text(Buffer.from(BAD_SERVICE, 'utf16le')), code: 'ERR_MANIFEST_ENCODING', field: 'encoding' },
  { name: 'bytes that are not UTF-8 (Latin-1)', entry: 'latin1.yaml', create: text(Buffer.from([...Buffer.from('kind: Service\nmetadata: {name: caf'), 0xe9, 0x7d, 0x0a])), code: 'ERR_MANIFEST_ENCODING', field: 'encoding' },
];

/** Files that read and decode, with a document or object that is bad or not ours. */
export const DOCUMENT_CASES: readonly BadCase[] = [
  { name: 'a YAML alias bomb', entry: 'bomb.yaml', create: text(aliasBomb()), code: 'ERR_MANIFEST_ALIASES', field: 'document' },
  { name: 'a YAML syntax error', entry: 'syntax.yaml', create: text('kind: Service\nmetadata: {name: bad\n'), code: 'ERR_INVALID_VALUE', field: 'document' },
  { name: 'an object over the size limit', entry: 'huge.yaml', create: text(service('victim', '10.96.0.99', `, selector: {a: ${'x'.repeat(400)}}`)), code: 'ERR_MANIFEST_TOO_LARGE', field: 'document', limits: { maxObjectBytes: 300 } },
  { name: 'an alias inside its own anchor (a cycle)', entry: 'cycle.yaml', create: text('kind: Service\nmetadata: &m {name: victim, namespace: shop, self: *m}\n'), code: 'ERR_MANIFEST_TOO_LARGE', field: 'document' },
  { name: 'a misspelt kind', entry: 'typo.yaml', create: text(BAD_SERVICE.replace('kind: Service', 'kind: Servcie')), code: 'ERR_MANIFEST_KIND', field: 'kind', level: 'warn', keeps: false },
  { name: 'a lower-case kind', entry: 'lower.yaml', create: text(BAD_SERVICE.replace('kind: Service', 'kind: service')), code: 'ERR_MANIFEST_KIND', field: 'kind', level: 'warn', keeps: false },
  { name: 'a plural kind', entry: 'plural.yaml', create: text('kind: EndpointSlices\nmetadata: {name: bad}\n'), code: 'ERR_MANIFEST_KIND', field: 'kind', level: 'warn', keeps: false },
  { name: 'no kind', entry: 'nokind.yaml', create: text(BAD_SERVICE.replace('kind: Service\n', '')), code: 'ERR_MANIFEST_KIND', field: 'kind', level: 'warn', keeps: false },
  { name: 'apiVersion v1 with a kind it does not have', entry: 'v1.yaml', create: text(BAD_SERVICE.replace('kind: Service', 'kind: LoadBalancer')), code: 'ERR_MANIFEST_KIND', field: 'kind', level: 'warn', keeps: false },
  { name: 'discovery.k8s.io with a kind it does not have', entry: 'disc.yaml', create: text('apiVersion: discovery.k8s.io/v1\nkind: Endpoints\nmetadata: {name: bad}\n'), code: 'ERR_MANIFEST_KIND', field: 'kind', level: 'warn', keeps: false },
  { name: 'a scalar document', entry: 'scalar.yaml', create: text('just some text\n'), code: 'ERR_MANIFEST_KIND', field: 'document', level: 'warn', keeps: false },
];

export const GOOD_SERVED = ['slice shop/web-1 10.244.0.5', 'svc shop/web 10.96.0.10'];

export function caseTitle(c: BadCase): string {
  const kept = c.keeps === false ? 'its file now holds nothing of ours' : 'its last good version stays';
  return `${c.name}: skipped alone and reported once; ${kept}; files added later load`;
}

/** Every case present at start-up at once (those needing no special limits): one problem each. */
export async function checkAllAtStartUp(dir: string, cases: readonly BadCase[]): Promise<void> {
  await writeFile(join(dir, 'good.yaml'), GOOD);
  const plain = cases.filter((c) => c.limits === undefined);
  for (const c of plain) await c.create(join(dir, c.entry));
  const d = new ManifestDirectory(dir);
  try {
    const r = await d.load();
    assert.deepEqual(served(r), GOOD_SERVED);
    assert.deepEqual(reported(r).map((p) => `${p.file} ${p.level} ${p.code} ${p.field}`).sort(), plain.map((c) => `${c.entry} ${c.level ?? 'error'} ${c.code} ${c.field}`).sort());
    for (const p of reported(r)) assert.ok(p.message.includes(p.file), `the line names the file: ${p.message}`);
    const again = await d.load();
    assert.deepEqual([served(again), reported(again), again.read], [GOOD_SERVED, [], []], 'nothing changed: nothing read, nothing reported');
  } finally {
    await d.close();
  }
}

/** A good file turns into the case: its last good version stays (unless it now parses), one problem, then a later file loads. */
export async function checkCase(dir: string, c: BadCase): Promise<void> {
  await writeFile(join(dir, 'good.yaml'), GOOD);
  const path = join(dir, c.entry);
  await writeFile(path, service('victim', '10.96.0.20'));
  const d = new ManifestDirectory(dir, { limits: c.limits });
  try {
    const victim = [...GOOD_SERVED, 'svc shop/victim 10.96.0.20'].sort();
    assert.deepEqual(served(await d.load()), victim);

    await rm(path);
    await c.create(path);
    const r = await d.load();
    const expected = c.keeps === false ? GOOD_SERVED : victim;
    assert.deepEqual(served(r), expected, 'the good file, and the last good version of the bad one, are served');
    const problems = reported(r);
    assert.deepEqual(problems.map((p) => [p.file, p.level, p.code, p.field]), [[c.entry, c.level ?? 'error', c.code, c.field]], JSON.stringify(problems));
    assert.match(problems[0]?.message ?? '', new RegExp(c.entry.replace('.', '\\.')));

    await writeFile(join(dir, 'late.yaml'), service('late', '10.96.0.30'));
    const later = await d.load();
    assert.deepEqual(served(later), [...expected, 'svc shop/late 10.96.0.30'].sort(), 'a file added later loads');
    assert.deepEqual([reported(later), later.read], [[], ['late.yaml']], 'the bad entry is neither read nor reported again');
  } finally {
    await d.close();
  }
}
