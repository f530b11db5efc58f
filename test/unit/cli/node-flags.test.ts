import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DAEMON_NODE_FLAGS } from '../../../src/cli/node-flags.ts';

test('bin/ipvs-proxier.js starts Node with the daemon flags the benchmark measures', () => {
  const shebang = readFileSync(new URL('../../../bin/ipvs-proxier.js', import.meta.url), 'utf8').split('\n')[0] ?? '';
  assert.equal(shebang, `#!/usr/bin/env -S node ${DAEMON_NODE_FLAGS.join(' ')}`);
});
