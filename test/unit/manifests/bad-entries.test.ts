// Directory entries that cannot be read, or not as UTF-8 text within the limits (bad-cases.ts):
// each is skipped on its own with one problem, once per change; nothing else waits for it.
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENTRY_CASES, caseTitle, checkAllAtStartUp, checkCase } from './bad-cases.ts';
import { GOOD, service, tempDir } from './manifest-dir.ts';

let t: Awaited<ReturnType<typeof tempDir>>;
beforeEach(async () => { t = await tempDir(); });
afterEach(async () => { await t.remove(); });

/** Loads `dir` in a child process as an unprivileged user (uid 0 reads any file): what it served and reported. */
function loadAsNobody(dir: string): { services: string[]; problems: string[] } {
  const script = `
    const { ManifestDirectory } = await import(process.argv[1]);
    const d = new ManifestDirectory(process.argv[2]);
    const r = await d.load();
    await d.close();
    console.log(JSON.stringify({ services: [...r.services.keys()], problems: r.problems.map((p) => [p.file, p.error.code, p.error.field].join(' ')) }));`;
  const args = ['--input-type=module', '-e', script, fileURLToPath(new URL('../../../src/sources/manifests/load.ts', import.meta.url)), dir];
  const asRoot = process.getuid?.() === 0;
  const [command, argv] = asRoot ? ['setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, ...args]] : [process.execPath, args];
  return JSON.parse(execFileSync(command, argv, { encoding: 'utf8' })) as { services: string[]; problems: string[] };
}

describe('bad entries in a manifests directory', { timeout: 20_000 }, () => {
  it('at start-up: every bad entry at once is skipped with one problem each; the good file loads', () => checkAllAtStartUp(t.dir, ENTRY_CASES));

  it('a file without read permission (loaded as an unprivileged user)', async () => {
    await t.put('good.yaml', GOOD);
    await t.put('secret.yaml', service('secret', '10.96.0.40'));
    await chmod(join(t.dir, 'secret.yaml'), 0o000);
    await chmod(t.dir, 0o755);
    assert.deepEqual(loadAsNobody(t.dir), { services: ['shop/web'], problems: ['secret.yaml ERR_MANIFEST_UNREADABLE file'] });
  });

  for (const c of ENTRY_CASES) it(caseTitle(c), () => checkCase(t.dir, c));
});
