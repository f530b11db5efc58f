// CLI flags: kube-proxy spellings parse to settings; bad values fail with one line naming the flag.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CommanderError } from 'commander';
import { ValidationError } from '../../../src/errors.ts';
import { parseDuration } from '../../../src/cli/duration.ts';
import { buildCommand, parseBool, settingsFrom, type CliSettings } from '../../../src/cli/options.ts';

function parse(...argv: string[]): { settings?: CliSettings; error?: CommanderError; stderr: string } {
  let stderr = '';
  const command = buildCommand().configureOutput({ writeErr: (s) => { stderr += s; }, writeOut: () => undefined });
  try {
    return { settings: settingsFrom(command.parse(argv, { from: 'user' })), stderr };
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    return { error, stderr };
  }
}

describe('CLI flags: good values', () => {
  it('defaults', () => {
    assert.deepEqual(parse().settings, {
      manifests: undefined, dryRun: false, once: false, cleanup: false, hostname: undefined, scheduler: 'rr', clusterCIDRs: [],
      masqueradeAll: false, masqueradeBit: 14, excludeCIDRs: [], syncPeriodMs: 30_000, minSyncPeriodMs: 1000,
      ipvsBackend: 'netlink', iptablesBackend: undefined, families: [4], logLevel: 'info',
    });
  });

  const cases: { argv: string[]; expect: Partial<CliSettings> }[] = [
    { argv: ['--masquerade-all'], expect: { masqueradeAll: true } },
    { argv: ['--masquerade-all=false'], expect: { masqueradeAll: false } },
    { argv: ['--masquerade-all=true'], expect: { masqueradeAll: true } },
    { argv: ['--masquerade-all', 'F'], expect: { masqueradeAll: false } },
    { argv: ['--masquerade-all=1'], expect: { masqueradeAll: true } },
    { argv: ['--ipvs-sync-period=1m30s'], expect: { syncPeriodMs: 90_000 } },
    { argv: ['--ipvs-sync-period', '250ms', '--ipvs-min-sync-period=250ms'], expect: { syncPeriodMs: 250, minSyncPeriodMs: 250 } },
    { argv: ['--ipvs-min-sync-period=0'], expect: { minSyncPeriodMs: 0 } },
    { argv: ['--ipvs-min-sync-period=0s'], expect: { minSyncPeriodMs: 0 } },
    { argv: ['--ipvs-min-sync-period=1.5s'], expect: { minSyncPeriodMs: 1500 } },
    { argv: ['--ipvs-scheduler=mh'], expect: { scheduler: 'mh' } },
    { argv: ['--masquerade-bit=31'], expect: { masqueradeBit: 31 } },
    { argv: ['--masquerade-bit', '0'], expect: { masqueradeBit: 0 } },
    { argv: ['--cluster-cidr=10.244.1.7/16'], expect: { clusterCIDRs: ['10.244.0.0/16'], families: [4] } },
    { argv: ['--cluster-cidr=fd00:244::/64,10.244.0.0/16'], expect: { clusterCIDRs: ['fd00:244::/64', '10.244.0.0/16'], families: [4, 6] } },
    { argv: ['--cluster-cidr=fd00:244::/64'], expect: { families: [6] } },
    { argv: ['--ip-families=6', '--cluster-cidr=10.244.0.0/16'], expect: { families: [6] } },
    { argv: ['--ip-families=4,6'], expect: { families: [4, 6] } },
    { argv: ['--ipvs-exclude-cidrs=10.0.0.0/8, 192.168.0.0/16,'], expect: { excludeCIDRs: ['10.0.0.0/8', '192.168.0.0/16'] } },
    { argv: ['--dry-run'], expect: { dryRun: true, once: true } },
    { argv: ['--v=4', '--hostname-override', 'node-a', '--manifests', '/etc/svc'], expect: { logLevel: 'debug', hostname: 'node-a', manifests: '/etc/svc' } },
    { argv: ['--ipvs-backend=ipvsadm', '--iptables-backend=legacy'], expect: { ipvsBackend: 'ipvsadm', iptablesBackend: 'legacy' } },
  ];
  for (const c of cases) {
    it(c.argv.join(' '), () => {
      const { settings, error, stderr } = parse(...c.argv);
      assert.equal(error, undefined, stderr);
      for (const [key, value] of Object.entries(c.expect)) assert.deepEqual(settings?.[key as keyof CliSettings], value, key);
    });
  }
});

describe('CLI flags: bad values fail with one line naming the flag', () => {
  const cases: [string[], string][] = [
    [['--masquerade-all=nope'], '--masquerade-all'],
    [['--ipvs-scheduler=roundrobin'], '--ipvs-scheduler'],
    [['--cluster-cidr=10.244.0.0'], '--cluster-cidr'],
    [['--cluster-cidr=10.244.0.0/33'], '--cluster-cidr'],
    [['--cluster-cidr=010.244.0.0/16'], '--cluster-cidr'],
    [['--ipvs-exclude-cidrs=10.0.0.0/8,bogus'], '--ipvs-exclude-cidrs'],
    [['--ip-families=5'], '--ip-families'],
    [['--ip-families=4,4'], '--ip-families'],
    [['--ip-families='], '--ip-families'],
    [['--ipvs-sync-period=0'], '--ipvs-sync-period'],
    [['--ipvs-sync-period=30'], '--ipvs-sync-period'],
    [['--ipvs-sync-period=1d'], '--ipvs-sync-period'],
    [['--ipvs-min-sync-period=-1s'], '--ipvs-min-sync-period'],
    [['--ipvs-min-sync-period=1s', '--ipvs-sync-period=500ms'], '--ipvs-min-sync-period'],
    [['--ipvs-sync-period=500ms'], '--ipvs-min-sync-period'], // the default minimum is 1s, as upstream
    [['--masquerade-bit=32'], '--masquerade-bit'],
    [['--masquerade-bit=-1'], '--masquerade-bit'],
    [['--masquerade-bit=0x4'], '--masquerade-bit'],
    [['--ipvs-backend=ioctl'], '--ipvs-backend'],
    [['--v=9'], '--v'],
    [['--no-such-flag'], '--no-such-flag'],
  ];
  for (const [argv, flag] of cases) {
    it(argv.join(' '), () => {
      const { error, stderr } = parse(...argv);
      assert.ok(error instanceof CommanderError, 'a CommanderError');
      assert.notEqual(error.exitCode, 0);
      const printed = stderr.trimEnd().split('\n');
      assert.equal(printed.length, 1, stderr);
      assert.ok(printed[0]?.startsWith('error: '), stderr);
      assert.ok(printed[0]?.includes(flag), stderr);
    });
  }
});

describe('parseBool and parseDuration', () => {
  for (const v of ['1', 't', 'T', 'true', 'TRUE', 'True']) it(`${v} → true`, () => assert.equal(parseBool(v), true));
  for (const v of ['0', 'f', 'F', 'false', 'FALSE', 'False']) it(`${v} → false`, () => assert.equal(parseBool(v), false));
  for (const v of ['yes', 'on', '', 'tRUE']) it(`${JSON.stringify(v)} is refused`, () => assert.throws(() => parseBool(v)));

  const durations: [string, number][] = [['0', 0], ['30s', 30_000], ['1m30s', 90_000], ['250ms', 250], ['1h', 3_600_000], ['1h2m3s4ms', 3_723_004], ['1500us', 2], ['1.5m', 90_000], ['2µs', 0]];
  for (const [text, ms] of durations) it(`${text} → ${ms} ms`, () => assert.equal(parseDuration(text, '--flag'), ms));
  for (const text of ['', '30', 's', '-1s', '1d', '1m 30s', '1.s', 'ms', '1s1']) {
    it(`${JSON.stringify(text)} is refused naming the flag`, () => {
      assert.throws(() => parseDuration(text, '--flag'), (e: unknown) => e instanceof ValidationError && e.field === '--flag' && e.message.startsWith('invalid --flag: '));
    });
  }
});
