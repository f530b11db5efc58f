import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DestinationList } from '../../../src/diff/destination-list.ts';
import { realServerId } from '../../../src/desired/ids.ts';
import type { RealServer } from '../../../src/kernel/ipvs/types.ts';

function rs(address: string, port: number): RealServer {
  return { family: address.includes(':') ? 6 : 4, address, port, forward: 'masq', weight: 1, upperThreshold: 0, lowerThreshold: 0 };
}

describe('DestinationList', () => {
  it('finds IPv4 and IPv6 destinations by id, and nothing else', () => {
    const list = DestinationList.sorted([rs('10.0.0.2', 80), rs('fd00::1', 8080), rs('10.0.0.1', 443), rs('10.0.0.1', 80)]);
    assert.deepEqual(list.items.map(realServerId), ['10.0.0.1/80', '10.0.0.1/443', '10.0.0.2/80', 'fd00::1/8080']);
    assert.equal(list.get('fd00::1/8080')?.port, 8080);
    assert.equal(list.get('10.0.0.1/80')?.address, '10.0.0.1');
    assert.equal(list.get('10.0.0.1/81'), undefined);
    assert.equal(list.get('fd00::2/8080'), undefined);
    assert.equal(DestinationList.EMPTY.get('10.0.0.1/80'), undefined);
    assert.equal(list.size, 4);
  });

  it('agrees with a Map for any set of destinations', () => {
    const address = fc.oneof(fc.ipV4(), fc.constantFrom('fd00::1', 'fd00::a:1', '::1'));
    fc.assert(fc.property(fc.uniqueArray(fc.tuple(address, fc.integer({ min: 1, max: 65535 })), { selector: ([a, p]) => `${a}/${p}`, maxLength: 40 }), fc.tuple(address, fc.integer({ min: 1, max: 65535 })), (entries, [probeAddress, probePort]) => {
      const servers = entries.map(([a, p]) => rs(a, p));
      const list = DestinationList.sorted([...servers]);
      const map = new Map(servers.map((s) => [realServerId(s), s]));
      for (const id of map.keys()) assert.equal(list.get(id), map.get(id));
      const probe = `${probeAddress}/${probePort}`;
      assert.equal(list.get(probe), map.get(probe));
    }));
  });
});
