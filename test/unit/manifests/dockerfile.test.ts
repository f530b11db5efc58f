// The Dockerfile (Docker is not available here, so it is never built in tests): text checks that
// it has what the DaemonSet and the kernel layer rely on.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDeploy, mainContainer, repoRoot } from './load.ts';

const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
// Instructions with their continuation lines joined, comments dropped.
const instructions = dockerfile.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
const runs = instructions.filter((l) => l.startsWith('RUN '));

/** .dockerignore semantics for the patterns we use: `*` excludes all, `!path` re-includes path and below. */
function included(path: string): boolean {
  let keep = true;
  for (const line of readFileSync(join(repoRoot, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim())) {
    if (line === '' || line.startsWith('#')) continue;
    const negated = line.startsWith('!');
    const pattern = (negated ? line.slice(1) : line).replace(/\/$/, '');
    if (pattern === '*' || path === pattern || path.startsWith(`${pattern}/`)) keep = negated;
  }
  return keep;
}

describe('Dockerfile', () => {
  it('every stage is Node 24 on Debian bookworm slim', () => {
    const froms = instructions.filter((l) => l.startsWith('FROM '));
    assert.ok(froms.length >= 1);
    for (const f of froms) assert.match(f, /^FROM node:24-bookworm-slim\b/);
  });

  it('installs each tool the kernel layer and the init container run, without recommends', () => {
    const install = runs.find((r) => /apt-get install/.test(r));
    assert.ok(install, 'an apt-get install');
    assert.match(install, /--no-install-recommends/);
    const words = new Set(install.split(/\s+/));
    for (const p of ['ipvsadm', 'ipset', 'iptables', 'conntrack', 'kmod', 'iproute2']) assert.ok(words.has(p), `installs ${p}`);
  });

  it('builds dist/ with tsc and ships production dependencies only', () => {
    assert.ok(runs.some((r) => /\bnpm run build\b/.test(r)));
    assert.ok(runs.some((r) => /\bnpm ci\b.*--omit=dev/.test(r)));
    assert.ok(instructions.some((l) => /^COPY --from=build \/app\/dist\b/.test(l)));
  });

  it('the entrypoint is the executable bin, and the DaemonSet\'s command is on PATH', () => {
    const entry = instructions.find((l) => l.startsWith('ENTRYPOINT '));
    assert.equal(entry, 'ENTRYPOINT ["/app/bin/ipvs-proxier.js"]');
    accessSync(join(repoRoot, 'bin/ipvs-proxier.js'), constants.X_OK);
    const command = mainContainer(loadDeploy().daemonSet).command?.[0];
    assert.ok(runs.some((r) => r.includes(`ln -s /app/bin/ipvs-proxier.js /usr/local/bin/${command}`)), `${command} is linked into /usr/local/bin`);
  });

  it('runs as root, saying why', () => {
    const i = dockerfile.indexOf('USER root');
    assert.ok(i > 0);
    assert.match(dockerfile.slice(0, i).split('\n').slice(-4).join('\n'), /^# .*(capabilit|NET_ADMIN)/m);
  });

  it('every file it copies from the context exists and is not excluded by .dockerignore', () => {
    const copies = instructions.filter((l) => l.startsWith('COPY ') && !l.includes('--from='));
    assert.ok(copies.length > 0);
    for (const c of copies) {
      for (const src of c.split(/\s+/).slice(1, -1)) {
        assert.ok(existsSync(join(repoRoot, src)), `${src} exists`);
        assert.ok(included(src.replace(/\/$/, '')), `${src} is in the build context`);
      }
    }
    assert.equal(included('node_modules'), false);
    assert.equal(included('dist'), false);
  });
});
