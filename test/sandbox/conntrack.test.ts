import './require-sandbox.ts';
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { tool, toolQuiet } from './require-sandbox.ts';
import { CommandError } from '../../src/errors.ts';
import { ExecaRunner, type CommandRunner, type RunOptions, type RunResult } from '../../src/kernel/exec/exec.ts';
import { ConntrackCli } from '../../src/kernel/conntrack/cli.ts';
import { NetnsRunner } from '../../src/kernel/conntrack/netns.ts';

// Sandbox-local only: two namespaces joined by a veth pair.
const NS_A = 'ipvsp-ct-a';
const NS_B = 'ipvsp-ct-b';
const A1 = '10.250.0.1';
const A3 = '10.250.0.3';
const B = '10.250.0.2';
const A6 = 'fd00:250::1';
const B6 = 'fd00:250::2';

function inNs(ns: string, ...cmd: string[]): string {
  return tool('ip', 'netns', 'exec', ns, ...cmd);
}

/** Sends one datagram per entry from NS_A with a node one-liner (bash's /dev/udp cannot bind a source). */
function sendUdp(datagrams: readonly { from: string; to: string; port: number }[]): void {
  const script = `
    const dgram = require('node:dgram');
    const list = JSON.parse(process.argv[1]);
    let left = list.length;
    for (const d of list) {
      const s = dgram.createSocket(d.to.includes(':') ? 'udp6' : 'udp4');
      s.bind(0, d.from, () => s.send('x', d.port, d.to, (err) => { if (err) throw err; s.close(); if (--left === 0) process.exit(0); }));
    }`;
  inNs(NS_A, process.execPath, '-e', script, JSON.stringify(datagrams));
}

interface Tuple { src: string; dst: string; sport: number; dport: number }

/** UDP flows in a namespace's table, original tuple (first src=/dst=/sport=/dport= of each line). */
function listUdp(ns: string | undefined): Tuple[] {
  const out = ns === undefined ? tool('conntrack', '-L', '-p', 'udp') : inNs(ns, 'conntrack', '-L', '-p', 'udp');
  return out.split('\n').filter((l) => l.startsWith('udp')).map((line) => {
    const field = (k: string): string => new RegExp(`(?:^| )${k}=(\\S+)`).exec(line)?.[1] ?? '';
    return { src: field('src'), dst: field('dst'), sport: Number(field('sport')), dport: Number(field('dport')) };
  });
}

function summary(tuples: readonly Tuple[]): string[] {
  return tuples.map((t) => `${t.src}->${t.dst}:${t.dport}`).sort();
}

/** Runs the tool as nobody (no CAP_NET_ADMIN): conntrack cannot talk to ctnetlink. */
class Unprivileged implements CommandRunner {
  readonly #inner: CommandRunner;
  constructor(inner: CommandRunner) {
    this.#inner = inner;
  }
  run(command: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
    return this.#inner.run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', command, ...args], options);
  }
}

describe('ConntrackCli against real per-namespace conntrack tables', () => {
  const conntrack = new ConntrackCli(new NetnsRunner(new ExecaRunner(), NS_A));

  before(() => {
    toolQuiet('ip', 'netns', 'del', NS_A);
    toolQuiet('ip', 'netns', 'del', NS_B);
    tool('ip', 'netns', 'add', NS_A);
    tool('ip', 'netns', 'add', NS_B);
    tool('ip', 'link', 'add', 'ipvsp-ct0', 'netns', NS_A, 'type', 'veth', 'peer', 'name', 'ipvsp-ct1', 'netns', NS_B);
    inNs(NS_A, 'ip', 'addr', 'add', `${A1}/29`, 'dev', 'ipvsp-ct0');
    inNs(NS_A, 'ip', 'addr', 'add', `${A3}/29`, 'dev', 'ipvsp-ct0');
    inNs(NS_B, 'ip', 'addr', 'add', `${B}/29`, 'dev', 'ipvsp-ct1');
    inNs(NS_A, 'ip', 'addr', 'add', `${A6}/64`, 'dev', 'ipvsp-ct0', 'nodad');
    inNs(NS_B, 'ip', 'addr', 'add', `${B6}/64`, 'dev', 'ipvsp-ct1', 'nodad');
    inNs(NS_A, 'ip', 'link', 'set', 'ipvsp-ct0', 'up');
    inNs(NS_B, 'ip', 'link', 'set', 'ipvsp-ct1', 'up');
    // Kernel quirk: since 4.10 conntrack hooks are registered in a namespace only when some rule
    // needs them; a fresh netns tracks nothing until then. A conntrack match turns tracking on.
    inNs(NS_A, 'iptables-legacy', '-A', 'OUTPUT', '-m', 'conntrack', '--ctstate', 'NEW', '-j', 'ACCEPT');
    inNs(NS_A, 'ip6tables-legacy', '-A', 'OUTPUT', '-m', 'conntrack', '--ctstate', 'NEW', '-j', 'ACCEPT');
    // Unreplied UDP flows expire after 30 s by default; the sandbox is slow.
    inNs(NS_A, 'sysctl', '-q', '-w', 'net.netfilter.nf_conntrack_udp_timeout=600');
  });
  after(() => {
    toolQuiet('ip', 'netns', 'del', NS_A);
    toolQuiet('ip', 'netns', 'del', NS_B);
  });

  it('deletes flows by original tuple in the right namespace and leaves unrelated flows', async () => {
    sendUdp([
      { from: A1, to: B, port: 5353 },
      { from: A1, to: B, port: 5353 },
      { from: A3, to: B, port: 5353 },
      { from: A1, to: B, port: 5354 },
      { from: A6, to: B6, port: 5353 },
    ]);
    assert.deepEqual(summary(listUdp(NS_A)), [
      `${A1}->${B}:5353`, `${A1}->${B}:5353`, `${A1}->${B}:5354`, `${A3}->${B}:5353`, `${A6}->${B6}:5353`,
    ]);
    assert.deepEqual(listUdp(undefined).filter((t) => t.dst === B), [], 'the root namespace has its own table');

    assert.equal(await conntrack.deleteUdpFlows({ family: 4, destination: B, destinationPort: 5353, source: A3 }), 1);
    assert.deepEqual(summary(listUdp(NS_A)), [`${A1}->${B}:5353`, `${A1}->${B}:5353`, `${A1}->${B}:5354`, `${A6}->${B6}:5353`]);

    assert.equal(await conntrack.deleteUdpFlows({ family: 4, destination: B, destinationPort: 5353 }), 2);
    assert.deepEqual(summary(listUdp(NS_A)), [`${A1}->${B}:5354`, `${A6}->${B6}:5353`]);

    assert.equal(await conntrack.deleteUdpFlows({ family: 6, destination: 'FD00:250:0::2', destinationPort: 5353 }), 1);
    assert.deepEqual(summary(listUdp(NS_A)), [`${A1}->${B}:5354`]);
  });

  it('returns 0 when nothing matches (conntrack exits 1) and deletes nothing', async () => {
    sendUdp([{ from: A1, to: B, port: 6000 }]);
    const before = summary(listUdp(NS_A));
    assert.ok(before.includes(`${A1}->${B}:6000`));
    assert.equal(await conntrack.deleteUdpFlows({ family: 4, destination: B, destinationPort: 6001 }), 0);
    assert.equal(await conntrack.deleteUdpFlows({ family: 6, destination: B6 }), 0);
    assert.equal(await conntrack.deleteUdpFlows({ family: 4, destination: '10.250.0.6' }), 0);
    assert.deepEqual(summary(listUdp(NS_A)), before);
    assert.equal(await conntrack.deleteUdpFlows({ family: 4, destination: B }), before.length);
  });

  it('reports a conntrack that cannot use ctnetlink as CommandError, not as 0 flows', async () => {
    sendUdp([{ from: A1, to: B, port: 7000 }]);
    const unprivileged = new ConntrackCli(new Unprivileged(new NetnsRunner(new ExecaRunner(), NS_A)));
    await assert.rejects(unprivileged.deleteUdpFlows({ family: 4, destination: B, destinationPort: 7000 }), (e: unknown) => {
      assert.ok(e instanceof CommandError);
      assert.equal(e.exitCode, 1);
      assert.ok(e.args.includes('-L'), 'the -L confirmation ran and failed too');
      return true;
    });
    assert.ok(summary(listUdp(NS_A)).includes(`${A1}->${B}:7000`));
    assert.equal(await conntrack.deleteUdpFlows({ family: 4, destination: B, destinationPort: 7000 }), 1);
  });

  it('rejects a flow filter for a missing namespace as CommandError from ip netns exec', async () => {
    const missing = new ConntrackCli(new NetnsRunner(new ExecaRunner(), 'ipvsp-ct-missing'));
    await assert.rejects(missing.deleteUdpFlows({ family: 4, destination: B }), CommandError);
  });
});
