// Ownership in the real kernel. A dual-stack node holds kubelet's chains (KUBE-FIREWALL with its
// DROP rules, hooked from INPUT/OUTPUT; KUBE-KUBELET-CANARY; KUBE-IPTABLES-HINT; KUBE-MARK-DROP),
// kube-router's and Calico's chains and sets, and everything upstream kube-proxy's IPVS mode (and
// some of its iptables mode) left behind: sets with members, chains matching them, jumps. We take
// it over, then --cleanup. The node's IPs sit on a dummy link, with upstream's NodePort virtual
// servers on them (their ports in upstream's NodePort sets) beside foreign ones. Foreign objects must
// come through byte-identical in iptables-legacy-save, ip6tables-legacy-save, ipset save and
// ipvsadm -Sn; upstream's leftovers must go in one pass (no EBUSY); and the sync after the takeover
// must be partial.
import './require-sandbox.ts';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { Proxier } from '../../src/engine/proxier.ts';
import { tokenizeLine } from '../../src/kernel/iptables/text.ts';
import { openKernel, type OpenKernel } from '../../src/kernel/open.ts';
import type { VirtualServerKey } from '../../src/kernel/ipvs/types.ts';
import {
  FOREIGN, NODE_IP, NODE_IP_PREFIX, foreignIptablesLines, foreignSetLines, nodeIpVirtualServers, setsTransaction, upstreamNode,
} from '../helpers/node-fixtures.ts';
import { desiredSets } from '../../src/desired/ipsets.ts';
import { familyConfig, service, slice } from '../helpers/objects.ts';
import { tool, toolQuiet } from './require-sandbox.ts';
import { resetProxierState } from './reset.ts';

const bin = fileURLToPath(new URL('../../bin/ipvs-proxier.js', import.meta.url));
const SAVE = { 4: 'iptables-legacy-save', 6: 'ip6tables-legacy-save' } as const;
const TABLES = ['mangle', 'nat', 'filter'] as const;
// Every set and chain of upstream's IPVS mode is ours now (kept, rewritten); iptables mode's are leftovers.
const OUR_SETS = [...desiredSets(4), ...desiredSets(6)].map((s) => s.name);
const LEFTOVER_CHAINS = /KUBE-(EXTERNAL-SERVICES|NODEPORTS|PROXY-CANARY|SVC-|SEP-|EXT-)|load balancer firewall/;
/** The link holding the node's IPs (a NIC on a real node). */
const NODE_LINK = 'node0';
const PROTOCOL_FLAG = { TCP: '-t', UDP: '-u', SCTP: '--sctp-service' } as const;

/** A virtual server as `ipvsadm -Sn` prints it (and `ipvsadm -R` reads it). */
function ipvsadmLine(key: Extract<VirtualServerKey, { kind: 'address' }>): string {
  const host = key.family === 6 ? `[${key.address}]` : key.address;
  return `-A ${PROTOCOL_FLAG[key.protocol]} ${host}:${key.port} -s rr`;
}

const NODE_IP_SERVERS = ([4, 6] as const).map((family) => nodeIpVirtualServers(family));
const UPSTREAM_NODE_PORT_LINES = NODE_IP_SERVERS.flatMap((s) => s.upstream).map(ipvsadmLine);
const FOREIGN_NODE_IP_LINES = NODE_IP_SERVERS.flatMap((s) => s.foreign).map(ipvsadmLine);
const FOREIGN_VS_LINES = ['-A -t 192.0.2.50:80 -s wlc', ...FOREIGN_NODE_IP_LINES].sort();

function virtualServerLines(): string[] {
  return tool('ipvsadm', '-Sn').split('\n').filter((l) => l.startsWith('-A')).sort();
}

function withInput(command: string, args: string[], input: string): void {
  execFileSync(command, args, { input, stdio: ['pipe', 'ignore', 'pipe'] });
}

/** Loads the fixture the way the fake-kernel tests do: sets first (rules match them), then both families' rules. */
function installUpstreamNode(): void {
  const node = upstreamNode();
  withInput('ipset', ['restore'], setsTransaction(node.sets).render());
  withInput('iptables-legacy-restore', ['--noflush'], node.iptables[4]);
  withInput('ip6tables-legacy-restore', ['--noflush'], node.iptables[6]);
  tool('ip', 'link', 'add', 'kube-ipvs0', 'type', 'dummy');
  tool('ip', 'addr', 'add', '10.96.100.1/32', 'dev', 'kube-ipvs0');
  tool('ip', '-6', 'addr', 'add', 'fd00:96::100/128', 'dev', 'kube-ipvs0');
  tool('ipvsadm', '-A', '-t', '10.96.100.1:80', '-s', 'rr');
  tool('ipvsadm', '-a', '-t', '10.96.100.1:80', '-r', '10.244.0.5:8080', '-m');
  tool('ipvsadm', '-A', '-t', '[fd00:96::100]:80', '-s', 'rr');
  tool('ipvsadm', '-A', '-t', '192.0.2.50:80', '-s', 'wlc');
  tool('ip', 'link', 'add', NODE_LINK, 'type', 'dummy');
  tool('ip', 'link', 'set', NODE_LINK, 'up');
  tool('ip', 'addr', 'add', `${NODE_IP[4]}/${NODE_IP_PREFIX[4]}`, 'dev', NODE_LINK);
  tool('ip', '-6', 'addr', 'add', `${NODE_IP[6]}/${NODE_IP_PREFIX[6]}`, 'dev', NODE_LINK, 'nodad');
  withInput('ipvsadm', ['-R'], `${[...UPSTREAM_NODE_PORT_LINES, ...FOREIGN_NODE_IP_LINES].join('\n')}\n`);
}

/** Removes the fixture whatever state it is in: jumps to its chains, the chains, its sets; then our state. */
function wipe(): void {
  resetProxierState();
  toolQuiet('ip', 'link', 'del', NODE_LINK);
  for (const family of [4, 6] as const) {
    const cmd = family === 4 ? 'iptables-legacy' : 'ip6tables-legacy';
    for (const table of TABLES) {
      const text = safe(() => tool(SAVE[family], '-t', table));
      const chains = text.split('\n').filter((l) => /^:(KUBE-|cali-)\S+ - /.test(l)).map((l) => l.slice(1).split(' ')[0] ?? '');
      for (const line of text.split('\n')) {
        const args = /^-A (PREROUTING|INPUT|FORWARD|OUTPUT|POSTROUTING) .*-j (KUBE-|cali-)\S+$/.test(line) ? tokenizeLine(line) : undefined;
        if (args !== undefined) toolQuiet(cmd, '-t', table, '-D', ...args.slice(1));
      }
      for (const chain of chains) toolQuiet(cmd, '-t', table, '-F', chain);
      for (const chain of chains) toolQuiet(cmd, '-t', table, '-X', chain);
    }
  }
  for (const name of safe(() => tool('ipset', 'list', '-n')).split('\n')) {
    if (name.startsWith('KUBE-') || (FOREIGN.sets as readonly string[]).includes(name)) toolQuiet('ipset', 'destroy', name);
  }
}

/** The node-IP virtual servers are in the kernel, printed as ipvsadmLine says (else the comparisons prove nothing). */
function assertNodeIpServersInstalled(): void {
  const lines = virtualServerLines();
  for (const line of [...UPSTREAM_NODE_PORT_LINES, ...FOREIGN_NODE_IP_LINES]) assert.ok(lines.includes(line), line);
}

function safe(read: () => string): string {
  try {
    return read();
  } catch {
    return '';
  }
}

/** The foreign lines of both families' rules (every table) and of the sets. */
function foreignSnapshot(): { v4: string[]; v6: string[]; sets: string[] } {
  return { v4: foreignIptablesLines(tool(SAVE[4])), v6: foreignIptablesLines(tool(SAVE[6])), sets: foreignSetLines(tool('ipset', 'save')) };
}

function ipsetNames(): string[] {
  return tool('ipset', 'list', '-n').trim().split('\n').filter((n) => n !== '').sort();
}

function cleanupCli(): void {
  // Exits non-zero on any error; no --ip-families or --cluster-cidr: it must find both families itself.
  execFileSync(process.execPath, [bin, '--iptables-backend', 'legacy', '--cleanup'], { stdio: ['ignore', 'ignore', 'pipe'] });
}

function assertOnlyForeignLeft(): void {
  assert.deepEqual(ipsetNames(), [...FOREIGN.sets].sort());
  for (const family of [4, 6] as const) {
    const kube = tool(SAVE[family]).split('\n').filter((l) => /^:KUBE-/.test(l)).map((l) => l.slice(1).split(' ')[0] ?? '');
    assert.deepEqual(kube.filter((c) => !(FOREIGN.chains as readonly string[]).includes(c)), [], `IPv${family}`);
  }
  assert.deepEqual(virtualServerLines(), FOREIGN_VS_LINES, 'upstream\'s NodePort virtual servers gone, foreign ones on the node IPs kept');
  assert.throws(() => tool('ip', 'link', 'show', 'kube-ipvs0'));
}

describe('taking over an upstream kube-proxy node, then --cleanup (real kernel)', { timeout: 120_000 }, () => {
  let kernel: OpenKernel | undefined;
  let original: ReturnType<typeof foreignSnapshot>;

  before(() => {
    wipe();
    installUpstreamNode();
    original = foreignSnapshot();
    assert.match(original.v4.join('\n'), /^-A KUBE-FIREWALL .*"block incoming localnet connections".* -j DROP$/m, 'kubelet\'s firewall is installed');
    assert.match(original.v6.join('\n'), /^-A cali-nat-outgoing .*cali60masq-ipam-pools/m, 'Calico\'s IPv6 rules are compared');
    assert.equal(original.sets.filter((l) => l.startsWith('create ')).length, FOREIGN.sets.length, 'every foreign set is compared');
    assertNodeIpServersInstalled();
  });

  after(async () => {
    await kernel?.close();
    wipe();
  });

  it('the first sync removes upstream\'s leftovers of both families in one pass; the next sync is partial', async () => {
    kernel = await openKernel({ iptablesBackend: 'legacy' });
    const proxier = new Proxier({
      kernel,
      families: [familyConfig({ nodeName: 'sandbox-node' }), familyConfig({ family: 6, nodeName: 'sandbox-node', clusterCIDR: 'fd00:244::/64' })],
      logger: pino({ level: 'silent' }),
    });
    proxier.onServiceUpdate(undefined, service({ name: 'web', clusterIP: '10.96.0.10' }));
    proxier.onEndpointSliceUpdate(undefined, slice({ service: 'web', endpoints: ['10.244.0.11'] }));
    // As the sync loop does before every sync: the node's IPs from the kernel's address list.
    proxier.onNodeAddresses(await kernel.links.listLocalAddresses());
    const takeover = await proxier.sync();
    assert.equal(takeover.full, true);
    assert.deepEqual(takeover.failures, [], 'no EBUSY, nothing refused');
    const next = await proxier.sync();
    assert.equal(next.full, false, 'the takeover did not force another full sync');
    assert.equal(next.writes, 0);
    proxier.onEndpointSliceUpdate(slice({ service: 'web', endpoints: ['10.244.0.11'] }), slice({ service: 'web', endpoints: ['10.244.0.11', '10.244.0.12'] }));
    const change = await proxier.sync();
    assert.equal(change.full, false);
    assert.deepEqual(change.failures, []);
    const periodic = await proxier.sync({ full: true });
    assert.deepEqual(periodic.failures, []);
    assert.equal(periodic.writes, 0, 'a later full sync finds nothing left to adopt');

    assert.deepEqual(foreignSnapshot(), original, 'foreign rules and sets byte-identical');
    assert.deepEqual(ipsetNames(), [...OUR_SETS, ...FOREIGN.sets].sort());
    assert.doesNotMatch(tool(SAVE[4]) + tool(SAVE[6]), LEFTOVER_CHAINS);
    assert.deepEqual(virtualServerLines(), ['-A -t 10.96.0.10:80 -s rr', ...FOREIGN_VS_LINES].sort(), 'upstream\'s NodePort virtual servers gone, foreign ones kept');
  });

  it('--cleanup removes ours in both families and leaves foreign state byte-identical; a second run has nothing to do', () => {
    cleanupCli();
    assert.deepEqual(foreignSnapshot(), original);
    assertOnlyForeignLeft();
    cleanupCli();
    assert.deepEqual(foreignSnapshot(), original);
  });
});

describe('--cleanup straight on an upstream kube-proxy node (real kernel)', { timeout: 60_000 }, () => {
  let original: ReturnType<typeof foreignSnapshot>;

  before(() => {
    wipe();
    installUpstreamNode();
    original = foreignSnapshot();
    assertNodeIpServersInstalled();
  });

  after(wipe);

  it('removes every leftover of both families in one pass, exit 0, no EBUSY; kubelet\'s, kube-router\'s and Calico\'s objects stay byte-identical', () => {
    cleanupCli();
    assert.deepEqual(foreignSnapshot(), original);
    assertOnlyForeignLeft();
    assert.match(tool(SAVE[4], '-t', 'filter'), /^-A INPUT -j KUBE-FIREWALL$/m);
    assert.match(tool(SAVE[4], '-t', 'mangle'), /^:KUBE-IPTABLES-HINT - /m);
    assert.match(tool(SAVE[6], '-t', 'nat'), /^:KUBE-KUBELET-CANARY - /m);
  });
});
