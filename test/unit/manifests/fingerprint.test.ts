// The 1 s poll's fingerprint: a ConfigMap-style symlink swap is noticed even when the new files
// have the same names, sizes and mtimes; bad entries do not stop it; a missing directory is a
// typed error naming it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, rename, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { directoryFingerprint } from '../../../src/sources/manifests/fingerprint.ts';
import { ManifestError } from '../../../src/sources/manifests/manifest-error.ts';
import { tempDir } from './manifest-dir.ts';

describe('directoryFingerprint', () => {
  it('notices a symlink swap (a ConfigMap volume update) with identical file sizes and mtimes', async () => {
    const t = await tempDir();
    try {
      for (const version of ['..v1', '..v2']) {
        await mkdir(join(t.dir, version));
        await writeFile(join(t.dir, version, 'web.yaml'), 'kind: Service\n');
        await utimes(join(t.dir, version, 'web.yaml'), 1000, 1000);
      }
      await symlink('..v1', join(t.dir, '..data'));
      await symlink('..data/web.yaml', join(t.dir, 'web.yaml'));
      const before = await directoryFingerprint(t.dir);
      assert.equal(await directoryFingerprint(t.dir), before, 'stable');
      // As the kubelet does it: a new link, renamed over the old one.
      await symlink('..v2', join(t.dir, '..data_tmp'));
      await rename(join(t.dir, '..data_tmp'), join(t.dir, '..data'));
      assert.notEqual(await directoryFingerprint(t.dir), before);
    } finally {
      await t.remove();
    }
  });

  it('tolerates loops, dangling links and FIFOs, and changes when a dangling link\'s target appears', async () => {
    const t = await tempDir();
    try {
      await symlink('loop.yaml', join(t.dir, 'loop.yaml'));
      await symlink('target.txt', join(t.dir, 'dangling.yaml'));
      execFileSync('mkfifo', [join(t.dir, 'fifo.yaml')]);
      const before = await directoryFingerprint(t.dir);
      await writeFile(join(t.dir, 'target.txt'), 'kind: Service\n');
      const after = await directoryFingerprint(t.dir);
      assert.notEqual(after, before);
      assert.match(after, /dangling\.yaml:[^|]*>\d/, 'the link now carries its target\'s stat');
    } finally {
      await t.remove();
    }
  });

  it('a missing directory is ERR_MANIFEST_DIRECTORY, naming it', async () => {
    await assert.rejects(directoryFingerprint('/nonexistent/manifests'), (e: unknown) =>
      e instanceof ManifestError && e.code === 'ERR_MANIFEST_DIRECTORY' && e.message === 'manifests directory /nonexistent/manifests does not exist (ENOENT)');
  });
});
