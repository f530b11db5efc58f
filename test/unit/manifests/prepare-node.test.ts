// The DaemonSet's prepare-node init script writes the node sysctls the daemon cannot (its /proc/sys
// is read-only). Run against a fake /proc/sys, it must write exactly what src/desired/sysctls.ts
// wants for that kernel and config, so that the daemon finds nothing to change.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { decodeConfig } from '../../../src/config/decode.ts';
import { desiredSysctls, parseKernelRelease } from '../../../src/desired/sysctls.ts';
import { initContainer, loadDeploy } from './load.ts';

const deploy = loadDeploy();
const prepare = initContainer(deploy.daemonSet, 'prepare-node');
const UNSET = 'unset';
// Every sysctl the script may write, present in the fake /proc/sys as on a node with ip_vs loaded.
const KNOWN = [
  'net/ipv4/vs/conntrack', 'net/ipv4/vs/expire_nodest_conn', 'net/ipv4/vs/expire_quiescent_template',
  'net/ipv4/vs/conn_reuse_mode', 'net/ipv4/ip_forward', 'net/ipv4/conf/all/arp_ignore', 'net/ipv4/conf/all/arp_announce',
];

let work: string;
before(() => {
  work = mkdtempSync(join(tmpdir(), 'prepare-node-'));
  const bin = join(work, 'bin');
  mkdirSync(bin);
  // Stand-ins for the node: modprobe logs its arguments (and fails on request), uname reports $FAKE_RELEASE.
  writeFileSync(join(bin, 'modprobe'), '#!/bin/sh\necho "$@" >> "$MODPROBE_LOG"\n[ -z "${MODPROBE_FAILS:-}" ]\n');
  writeFileSync(join(bin, 'uname'), '#!/bin/sh\necho "$FAKE_RELEASE"\n');
  chmodSync(join(bin, 'modprobe'), 0o755);
  chmodSync(join(bin, 'uname'), 0o755);
});
after(() => rmSync(work, { recursive: true, force: true }));

interface Run { status: number | null; stderr: string; written: Map<string, string>; modprobed: string[]; proc: string }

function runScript(opts: { release: string; config: string; known?: readonly string[]; modprobeFails?: boolean }): Run {
  const dir = mkdtempSync(join(work, 'run-'));
  const proc = join(dir, 'proc-sys');
  for (const name of opts.known ?? KNOWN) {
    mkdirSync(dirname(join(proc, name)), { recursive: true });
    writeFileSync(join(proc, name), `${UNSET}\n`);
  }
  writeFileSync(join(dir, 'config.conf'), opts.config);
  const env: Record<string, string> = {
    PATH: `${join(work, 'bin')}:/usr/bin:/bin`, FAKE_RELEASE: opts.release, MODPROBE_LOG: join(dir, 'modprobe.log'),
  };
  if (opts.modprobeFails) env['MODPROBE_FAILS'] = '1';
  // The manifest's own env, redirected into the scratch directory.
  for (const e of prepare.env ?? []) {
    if (e.name === 'PROC_SYS') env[e.name] = proc;
    else if (e.name === 'CONFIG') env[e.name] = join(dir, 'config.conf');
    else assert.fail(`unexpected env ${e.name}`);
  }
  const [shell, ...flags] = prepare.command ?? [];
  assert.ok(shell !== undefined && prepare.args?.length === 1);
  const result = spawnSync(shell, [...flags, ...prepare.args], { env, encoding: 'utf8', timeout: 10_000 });
  const written = new Map<string, string>();
  for (const name of opts.known ?? KNOWN) {
    const text = readFileSync(join(proc, name), 'utf8');
    if (text !== `${UNSET}\n`) written.set(name, text.trimEnd());
  }
  let modprobed: string[] = [];
  try {
    modprobed = readFileSync(env['MODPROBE_LOG'] ?? '', 'utf8').trim().split('\n');
  } catch { /* never called */ }
  return { status: result.status, stderr: result.stderr, written, modprobed, proc };
}

function expected(release: string, strictARP: boolean): Map<string, string> {
  return new Map(desiredSysctls({ strictARP, kernelVersion: parseKernelRelease(release) }).map((d) => [d.name, d.value]));
}

/** What the daemon will read from this config file: the project's own decoder decides. */
function decodedStrictARP(config: string): boolean {
  return decodeConfig(config, 'test').values.get('ipvs.strictARP') === true;
}

const shippedConfig = deploy.configMap.data['config.conf'] ?? '';
const strictConfig = shippedConfig.replace(/strictARP: false/, 'strictARP: true');

describe('prepare-node init script', () => {
  it('the shipped config (strictARP false) on 6.1: the four IPVS sysctls, nothing else', () => {
    const run = runScript({ release: '6.1.0-13-amd64', config: shippedConfig });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(run.written, expected('6.1.0-13-amd64', false));
    assert.equal(run.written.size, 4);
  });

  it('strictARP: true and a 5.4 kernel add arp_ignore/arp_announce and conn_reuse_mode=0', () => {
    assert.notEqual(strictConfig, shippedConfig);
    const run = runScript({ release: '5.4.0-150-generic', config: strictConfig });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(run.written, expected('5.4.0-150-generic', true));
    assert.equal(run.written.get('net/ipv4/vs/conn_reuse_mode'), '0');
    assert.equal(run.written.get('net/ipv4/conf/all/arp_announce'), '2');
  });

  it('agrees with desiredSysctls for any kernel release and strictARP', () => {
    const release = fc.tuple(fc.integer({ min: 2, max: 7 }), fc.integer({ min: 0, max: 25 }), fc.constantFrom('', '.0', '.0-13-amd64', '-generic', '-rc1'))
      .map(([major, minor, suffix]) => `${major}.${minor}${suffix}`);
    fc.assert(fc.property(release, fc.boolean(), (r, strict) => {
      const run = runScript({ release: r, config: strict ? strictConfig : shippedConfig });
      assert.equal(run.status, 0, run.stderr);
      assert.deepEqual(run.written, expected(r, strict));
    }), { numRuns: 40 });
  });

  it('an unparsable kernel release leaves conn_reuse_mode alone, as parseKernelRelease', () => {
    const run = runScript({ release: 'weird', config: shippedConfig });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(run.written, expected('weird', false));
  });

  it('kernel boundaries of conn_reuse_mode (4.1 to 5.8) agree with desiredSysctls', () => {
    for (const release of ['3.10.0-1160.el7.x86_64', '4.0.9', '4.1.0', '4.19.0-26-amd64', '5.8.18', '5.9.0', '5.10.0-28-amd64', '6.12.0']) {
      const run = runScript({ release, config: shippedConfig });
      assert.equal(run.status, 0, run.stderr);
      assert.deepEqual(run.written, expected(release, false), release);
    }
    assert.equal(runScript({ release: '5.8.18', config: shippedConfig }).written.get('net/ipv4/vs/conn_reuse_mode'), '0');
    assert.equal(runScript({ release: '5.9.0', config: shippedConfig }).written.has('net/ipv4/vs/conn_reuse_mode'), false);
  });

  it('reads strictARP as the config decoder does: every YAML 1.1 spelling, comments ignored', () => {
    const spellings = ['true', 'True', 'TRUE', 'yes', 'Yes', 'YES', 'y', 'Y', 'on', 'On', 'ON', 'false', 'no', 'off', 'N', 'true # MetalLB', 'false # set true for MetalLB'];
    for (const value of spellings) {
      const config = shippedConfig.replace(/strictARP: false/, `strictARP: ${value}`);
      const run = runScript({ release: '6.1.0', config });
      assert.equal(run.status, 0, run.stderr);
      assert.deepEqual(run.written, expected('6.1.0', decodedStrictARP(config)), `strictARP: ${value}`);
    }
    assert.equal(decodedStrictARP(shippedConfig.replace(/strictARP: false/, 'strictARP: on')), true, 'the decoder reads YAML 1.1');
  });

  it('loads ip_vs, the default schedulers and conntrack; a module that cannot load is not fatal', () => {
    const run = runScript({ release: '6.1.0', config: shippedConfig, modprobeFails: true });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(run.modprobed, ['-- ip_vs', '-- ip_vs_rr', '-- ip_vs_wrr', '-- ip_vs_sh', '-- nf_conntrack']);
    assert.match(run.stderr, /cannot load ip_vs\b/);
    assert.deepEqual(run.written, expected('6.1.0', false));
  });

  it('fails, naming the file, when ip_vs sysctls do not exist (module missing), without creating them', () => {
    const known = KNOWN.filter((k) => !k.startsWith('net/ipv4/vs/'));
    const run = runScript({ release: '6.1.0', config: shippedConfig, known });
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /net\/ipv4\/vs\/conntrack does not exist/);
    assert.equal(run.written.size, 0);
    assert.equal(existsSync(join(run.proc, 'net/ipv4/vs/conntrack')), false);
  });
});
