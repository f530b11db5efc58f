// The families served come from the node, never from --cluster-cidr (issue 8): a kube-proxy config
// with an IPv4-only clusterCIDR must keep IPv6 Services up.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { ProxierError } from '../../../src/errors.ts';
import { servedFamilies } from '../../../src/engine/families.ts';
import { createFakeKernel } from '../../../src/kernel/fake-kernel.ts';

const logger = pino({ level: 'silent' });

describe('servedFamilies', () => {
  it('serves every family the node supports, narrowed by --ip-families', async () => {
    const kernel = createFakeKernel();
    assert.deepEqual(await servedFamilies(kernel, undefined, logger), [4, 6]);
    assert.deepEqual(await servedFamilies(kernel, [6], logger), [6]);
    assert.deepEqual(await servedFamilies(kernel, [4], logger), [4]);
  });

  it('leaves IPv6 out where it is disabled, and fails in one line when nothing is left', async () => {
    const kernel = createFakeKernel();
    await kernel.sysctl.set('net/ipv6/conf/all/disable_ipv6', '1');
    assert.deepEqual(await servedFamilies(kernel, undefined, logger), [4]);
    await assert.rejects(servedFamilies(kernel, [6], logger), (e) => e instanceof ProxierError && e.code === 'ERR_CONFIG'
      && /no IP family can be served on this node \(IPv6: IPv6 is disabled/.test(e.message));
  });
});
