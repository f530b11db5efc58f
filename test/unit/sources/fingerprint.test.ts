// directoryFingerprint: the polling fallback must notice adds, edits and removals, and nothing else.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { directoryFingerprint } from '../../../src/sources/manifests/fingerprint.ts';

describe('directoryFingerprint', () => {
  it('changes on add, size change, mtime change and removal; stable otherwise', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fingerprint-'));
    try {
      const seen: string[] = [await directoryFingerprint(dir)];
      const step = async (change: () => Promise<void>): Promise<void> => {
        await change();
        const next = await directoryFingerprint(dir);
        assert.equal(await directoryFingerprint(dir), next, 'stable when nothing changed');
        assert.notEqual(next, seen.at(-1), 'the change is noticed');
        seen.push(next);
      };
      await step(() => writeFile(join(dir, 'a.yaml'), 'kind: Service\n'));
      await step(() => writeFile(join(dir, 'a.yaml'), 'kind: Service\n# longer\n'));
      // Same size, new content: only the mtime tells (set explicitly: coarse clocks could tie).
      await step(async () => {
        await writeFile(join(dir, 'a.yaml'), 'kind: Servicf\n# longer\n');
        await utimes(join(dir, 'a.yaml'), 1000, 1000);
      });
      await step(() => rm(join(dir, 'a.yaml')));
      assert.equal(seen.at(-1), seen[0], 'an emptied directory looks as it started');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
