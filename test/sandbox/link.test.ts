import './require-sandbox.ts';
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { tool, toolQuiet } from './require-sandbox.ts';
import { Errno, KernelError, hasErrno } from '../../src/errors.ts';
import { RtnetlinkLinks } from '../../src/kernel/link/rtnetlink.ts';
import { FakeLinks } from '../../src/kernel/link/fake.ts';
import { IFA_F_TENTATIVE } from '../../src/kernel/link/codec.ts';
import type { InterfaceAddress, Links } from '../../src/kernel/link/types.ts';

const DUMMY = 'kube-ipvs0';
const VETH = 'ipvsp-lnk0';
const VETH_PEER = 'ipvsp-lnk1';
const SCRATCH = 'ipvsp-lnk-d';

interface IpAddrInfo { family: string; local: string; prefixlen: number; scope: string; tentative?: boolean }
interface IpLink { ifindex: number; ifname: string; flags: string[]; addr_info?: IpAddrInfo[]; linkinfo?: { info_kind?: string } }

function ipJson(...args: string[]): IpLink[] {
  return JSON.parse(tool('ip', '-j', ...args)) as IpLink[];
}

const v4 = (address: string, prefixLength = 32): InterfaceAddress => ({ family: 4, address, prefixLength });
const v6 = (address: string, prefixLength = 128): InterfaceAddress => ({ family: 6, address, prefixLength });
const key = (a: InterfaceAddress): string => `${a.address}/${a.prefixLength}`;

/** 10.200.x.y and fd00:200:x+1::y, n of each (already in canonical text form). */
function serviceAddresses(n: number): InterfaceAddress[] {
  const out: InterfaceAddress[] = [];
  for (let i = 0; i < n; i++) {
    out.push(v4(`10.200.${Math.floor(i / 250)}.${(i % 250) + 1}`));
    out.push(v6(`fd00:200:${(Math.floor(i / 250) + 1).toString(16)}::${((i % 250) + 1).toString(16)}`));
  }
  return out;
}

function cleanup(): void {
  for (const name of [DUMMY, VETH, SCRATCH]) toolQuiet('ip', 'link', 'del', name);
}

describe('RtnetlinkLinks against the real kernel', () => {
  let links: RtnetlinkLinks;

  before(() => {
    cleanup();
    links = RtnetlinkLinks.open();
  });
  after(async () => {
    await links.close();
    cleanup();
  });

  it('creates kube-ipvs0 as a DOWN dummy, finds it, adopts it again, deletes it', async () => {
    assert.equal(await links.getLink(DUMMY), undefined);
    const created = await links.ensureDummy(DUMMY);
    const [shown] = ipJson('-d', 'link', 'show', DUMMY);
    assert.ok(shown);
    assert.deepEqual(created, { index: shown.ifindex, name: DUMMY, kind: 'dummy', up: false });
    assert.equal(shown.linkinfo?.info_kind, 'dummy');
    assert.ok(!shown.flags.includes('UP'));
    assert.deepEqual(await links.ensureDummy(DUMMY), created);
    assert.deepEqual(await links.getLink(DUMMY), created);
    tool('ip', 'link', 'set', DUMMY, 'up');
    assert.equal((await links.getLink(DUMMY))?.up, true);
    await links.deleteLink(DUMMY);
    assert.equal(await links.getLink(DUMMY), undefined);
    assert.deepEqual(ipJson('link', 'show', 'type', 'dummy').filter((l) => l.ifname === DUMMY), []);
  });

  it('reports errno cases: missing link ENODEV, lo EOPNOTSUPP, another kind EEXIST', async () => {
    await assert.rejects(links.deleteLink(DUMMY), (e: unknown) => e instanceof KernelError && e.errno === Errno.ENODEV && e.object === DUMMY);
    await assert.rejects(links.listAddresses(DUMMY), (e) => hasErrno(e, Errno.ENODEV));
    await assert.rejects(links.changeAddresses(DUMMY, { add: [v4('10.200.0.1')], delete: [] }), (e) => hasErrno(e, Errno.ENODEV));
    await assert.rejects(links.deleteLink('lo'), (e) => hasErrno(e, Errno.EOPNOTSUPP));
    tool('ip', 'link', 'add', VETH, 'type', 'veth', 'peer', 'name', VETH_PEER);
    await assert.rejects(links.ensureDummy(VETH), (e) => hasErrno(e, Errno.EEXIST));
    assert.equal((await links.getLink(VETH))?.kind, 'veth');
    tool('ip', 'link', 'del', VETH);
  });

  it('adds then deletes 1000 IPv4 + 1000 IPv6 addresses in one batch each, matching ip(8)', async () => {
    await links.ensureDummy(DUMMY);
    const addresses = serviceAddresses(1000);
    let started = performance.now();
    assert.deepEqual(await links.changeAddresses(DUMMY, { add: addresses, delete: [] }), []);
    const addMs = performance.now() - started;

    const [shown] = ipJson('addr', 'show', DUMMY);
    const fromIp = (shown?.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`).sort();
    assert.equal(fromIp.length, 2000);
    assert.deepEqual(fromIp, addresses.map(key).sort());
    assert.deepEqual((await links.listAddresses(DUMMY)).map(key).sort(), fromIp);
    // IPv6 on a DOWN dummy: kept, and never tentative (dummy is IFF_NOARP, addrconf skips DAD).
    const text = tool('ip', '-d', 'addr', 'show', DUMMY);
    assert.equal(text.split('\n').filter((l) => l.trim().startsWith('inet6 ')).length, 1000);
    assert.equal(text.split('\n').filter((l) => l.trim().startsWith('inet ')).length, 1000);
    assert.doesNotMatch(text, /tentative|dadfailed/);
    assert.ok(!shown?.flags.includes('UP'));
    const details = (await links.listAddressDetails()).filter((a) => a.index === shown?.ifindex);
    assert.equal(details.filter((a) => (a.flags & IFA_F_TENTATIVE) !== 0).length, 0);

    started = performance.now();
    assert.deepEqual(await links.changeAddresses(DUMMY, { add: [], delete: addresses }), []);
    const deleteMs = performance.now() - started;
    assert.deepEqual(ipJson('addr', 'show', DUMMY)[0]?.addr_info ?? [], []);
    assert.deepEqual(await links.listAddresses(DUMMY), []);
    console.log(`# 2000 address adds in ${addMs.toFixed(0)} ms, 2000 deletes in ${deleteMs.toFixed(0)} ms`);
  });

  it('reports per-address failures exactly as FakeLinks does, applying the rest', async () => {
    const scenario = async (target: Links, link: string): Promise<unknown> => {
      await target.ensureDummy(link);
      const first = await target.changeAddresses(link, { add: [v4('10.201.0.1'), v6('fd00:201::1'), v4('10.201.0.5', 32)], delete: [] });
      const second = await target.changeAddresses(link, {
        add: [v4('10.201.0.1'), v4('10.201.0.1', 24), v6('fd00:201::1', 64), v6('fd00:201::2'), v4('10.201.0.256')],
        delete: [v4('10.201.0.9'), v6('fd00:201::1', 64), v4('10.201.0.5', 24)],
      });
      const third = await target.changeAddresses(link, { add: [], delete: [v4('10.201.0.1', 24)] });
      const summarize = (fs: typeof first): string[] => fs.map((f) => `${f.change} ${key(f.address)} ${f.error.code}`);
      return {
        first: summarize(first),
        second: summarize(second),
        third: summarize(third),
        left: (await target.listAddresses(link)).map(key).sort(),
      };
    };
    const real = await scenario(links, SCRATCH);
    const fake = await scenario(new FakeLinks(), SCRATCH);
    assert.deepEqual(real, {
      first: [],
      second: [
        'delete 10.201.0.9/32 EADDRNOTAVAIL',
        'delete fd00:201::1/64 EADDRNOTAVAIL',
        'delete 10.201.0.5/24 EADDRNOTAVAIL',
        'add 10.201.0.1/32 EEXIST',
        'add fd00:201::1/64 EEXIST',
        'add 10.201.0.256/32 ERR_INVALID_VALUE',
      ],
      third: [],
      left: ['10.201.0.1/32', '10.201.0.5/32', 'fd00:201::1/128', 'fd00:201::2/128'],
    });
    assert.deepEqual(fake, real);
    await links.deleteLink(SCRATCH);
  });

  it('listLocalAddresses matches ip -j addr for every link', async () => {
    await links.ensureDummy(DUMMY);
    tool('ip', 'link', 'add', VETH, 'type', 'veth', 'peer', 'name', VETH_PEER);
    tool('ip', 'addr', 'add', '192.168.250.1/24', 'dev', VETH);
    tool('ip', 'addr', 'add', '2001:db8:250::1/64', 'dev', VETH, 'nodad');
    tool('ip', 'link', 'set', VETH, 'up');
    tool('ip', 'link', 'set', VETH_PEER, 'up');
    assert.deepEqual(await links.changeAddresses(DUMMY, { add: [v4('10.202.0.1'), v6('fd00:202::1')], delete: [] }), []);
    const scopeName = (s: number): string => (s === 0 ? 'global' : s === 253 ? 'link' : s === 254 ? 'host' : String(s));
    const ours = (await links.listLocalAddresses()).map((a) => `${a.linkIndex} ${a.linkName} ${a.address}/${a.prefixLength} ${scopeName(a.scope)}`).sort();
    const theirs = ipJson('addr').flatMap((l) => (l.addr_info ?? []).map((a) => `${l.ifindex} ${l.ifname} ${a.local}/${a.prefixlen} ${a.scope}`)).sort();
    assert.deepEqual(ours, theirs);
    for (const expected of ['127.0.0.1/8 host', '::1/128 host', '192.168.250.1/24 global', '2001:db8:250::1/64 global', '10.202.0.1/32 global', 'fd00:202::1/128 global']) {
      assert.ok(ours.some((line) => line.endsWith(expected)), expected);
    }
    assert.ok(ours.some((line) => line.includes(` ${VETH} fe80::`) && line.endsWith('/64 link')), 'the UP veth has a link-local address');
  });
});
