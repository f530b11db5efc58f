import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_DATAGRAM_BYTES, MIN_REPLY_RESERVE, datagramReserveLimit, planDatagrams, replyCapacity, replyReserve,
} from '../../../../src/kernel/netlink/window.ts';

test('capacity is 3/4 of the real receive buffer (UML sandbox: rmem_max 212992 doubled)', () => {
  assert.equal(replyCapacity(425984), 319488);
  assert.equal(replyCapacity(212992), 159744);
});

test('a reply reserve covers an error reply that echoes the request, never below 2 KiB', () => {
  assert.equal(replyReserve(100), MIN_REPLY_RESERVE);
  assert.equal(replyReserve(1000), 2 * (1000 + 16 + 4 + 512));
  for (const size of [16, 200, 500, 4000, 30000]) {
    // echoed error = 16-byte header + s32 + request, plus ~576 bytes of skb overhead
    assert.ok(replyReserve(size) >= size + 16 + 4 + 576, `size ${size}`);
  }
});

test('planDatagrams respects both the byte limit and the reply-reserve limit, in order, covering all', () => {
  const sizes = Array.from({ length: 1000 }, (_, i) => 100 + (i % 7) * 40);
  const limit = datagramReserveLimit(replyCapacity(425984));
  const plans = planDatagrams(sizes, { maxDatagramBytes: MAX_DATAGRAM_BYTES, maxReserve: limit });
  let next = 0;
  for (const plan of plans) {
    assert.equal(plan.start, next);
    assert.ok(plan.end > plan.start);
    const slice = sizes.slice(plan.start, plan.end);
    assert.equal(plan.bytes, slice.reduce((a, b) => a + b, 0));
    assert.equal(plan.reserve, slice.reduce((a, b) => a + replyReserve(b), 0));
    assert.ok(plan.bytes <= MAX_DATAGRAM_BYTES);
    assert.ok(plan.reserve <= limit);
    next = plan.end;
  }
  assert.equal(next, sizes.length);
  // 159744 / 2048 = 78 messages per datagram
  assert.equal(plans[0]?.end, Math.floor(limit / MIN_REPLY_RESERVE));
});

test('planDatagrams cuts on bytes when messages are large, and gives an oversized message its own datagram', () => {
  const plans = planDatagrams([20000, 20000, 100, 50000, 100], { maxDatagramBytes: 32768, maxReserve: 1e9 });
  assert.deepEqual(plans.map((p) => [p.start, p.end]), [[0, 1], [1, 3], [3, 4], [4, 5]]);
  assert.deepEqual(planDatagrams([], { maxDatagramBytes: 1, maxReserve: 1 }), []);
});
