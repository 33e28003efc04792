import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ago, bytes, cacheText, millis, place, rate, rateText, replicasText, taskLabel, when }
  from '../../main/resources/console/js/format.js';

describe('bytes', () => {
  it('counts bytes whole and larger units with one decimal below 10', () => {
    assert.equal(bytes(0), '0 B');
    assert.equal(bytes(1023), '1023 B');
    assert.equal(bytes(1024), '1.0 KiB');
    assert.equal(bytes(1536), '1.5 KiB');
    assert.equal(bytes(10 * 1024), '10 KiB');
    assert.equal(bytes(64 * 1024 * 1024), '64 MiB');
    assert.equal(bytes(3.25 * 1024 ** 4), '3.3 TiB');
  });

  it('stops at PiB', () => {
    assert.equal(bytes(2048 * 1024 ** 5), '2048 PiB');
  });

  it('says "-" for an unknown count (none, or the -1 a component reports)', () => {
    for (const n of [null, undefined, -1]) {
      assert.equal(bytes(n), '-');
    }
  });

  it('rates are bytes per second; a pair reads up / down', () => {
    assert.equal(rate(2048), '2.0 KiB/s');
    assert.equal(rateText({ up: 1024, down: 0 }), '1.0 KiB/s / 0 B/s');
    assert.equal(rateText(undefined), '-');
  });
});

describe('ago', () => {
  const now = Date.UTC(2026, 11, 7, 12, 0, 0);
  it('says how long ago in its largest whole unit', () => {
    assert.equal(ago(now - 59_000, now), '59 s ago');
    assert.equal(ago(now - 60_000, now), '1 min ago');
    assert.equal(ago(now - 3_599_000, now), '59 min ago');
    assert.equal(ago(now - 3_600_000, now), '1 h ago');
    assert.equal(ago(now - 86_400_000 * 3, now), '3 d ago');
  });

  it('a time a little ahead of this clock is now, none is never', () => {
    assert.equal(ago(now + 5_000, now), '0 s ago');
    assert.equal(ago(0, now), 'never');
    assert.equal(ago(null, now), 'never');
  });

  it('when: a time, or "-" for none', () => {
    assert.equal(when(null), '-');
    assert.equal(when(now), new Date(now).toLocaleString());
  });
});

describe('millis', () => {
  it('keeps about three significant digits', () => {
    assert.equal(millis(0.1234), '0.12 ms');
    assert.equal(millis(9.999), '10.00 ms');
    assert.equal(millis(12.34), '12.3 ms');
    assert.equal(millis(150.4), '150 ms');
  });
});

describe('cells', () => {
  it('place joins what is known', () => {
    assert.equal(place({ idc: 'idc1', location: 'eu|de' }), 'idc1 / eu|de');
    assert.equal(place({ idc: '', location: 'eu' }), 'eu');
    assert.equal(place({}), '-');
  });

  it('cacheText says when there is no quota', () => {
    assert.equal(cacheText(1024, 4096), '1.0 KiB / 4.0 KiB');
    assert.equal(cacheText(1024, 0), '1.0 KiB / no quota');
  });

  it('a task is called by its cid, else the start of its id', () => {
    assert.equal(taskLabel({ cid: 'weights.bin', task_id: 'abc' }), 'weights.bin');
    assert.equal(taskLabel({ cid: '', task_id: '0123456789abcdef0123' }), '0123456789abcdef...');
  });

  it('replicas held against a target, or the text for none', () => {
    assert.equal(replicasText({ replica_count: 3, replicas_held: 2 }), '2 / 3');
    assert.equal(replicasText({ replica_count: 0, replicas_held: 2 }), '-');
    assert.equal(replicasText({ replica_count: 0 }, 'no target'), 'no target');
  });
});
