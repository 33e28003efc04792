import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { callSeries, counterSeries, latestByComponent, latestRates, peerTotals, rateSeries, spread }
  from '../../main/resources/console/js/metrics.js';

/** A sample of one component at a time (s), its counters given. */
const sample = (kind, id, atSeconds, counters) => Object.assign({ component_kind: kind,
  component_id: id, at: atSeconds * 1000 }, counters);

describe('latestByComponent', () => {
  it('keeps the newest sample of each component of the kind, in any order', () => {
    const samples = [sample('peer', 1, 20, { tasks: 2 }), sample('peer', 1, 10, { tasks: 1 }),
      sample('peer', 2, 5, { tasks: 7 }), sample('scheduler', 1, 30, { tasks: 9 })];
    const latest = latestByComponent(samples, 'peer');
    assert.deepEqual(latest.map((s) => [s.component_id, s.tasks]), [[1, 2], [2, 7]]);
  });
});

describe('spread', () => {
  it('adds an amount to the buckets an interval overlaps, in proportion', () => {
    const buckets = [0, 0, 0, 0];
    spread(buckets, 100, 5, 25, 0, 10); // 5..10, 10..20, 20..25 of 20
    assert.deepEqual(buckets, [25, 50, 25, 0]);
  });

  it('drops what falls outside the buckets', () => {
    const buckets = [0, 0];
    spread(buckets, 100, -10, 10, 0, 10); // half before the first bucket
    assert.deepEqual(buckets, [50, 0]);
    spread(buckets, 40, 15, 35, 0, 10); // three quarters after the last
    assert.deepEqual(buckets, [50, 10]);
  });
});

describe('counterSeries', () => {
  it('sums the increments of consecutive samples, components added', () => {
    const samples = [sample('peer', 1, 0, { x: 100 }), sample('peer', 1, 10, { x: 160 }),
      sample('peer', 2, 0, { x: 5 }), sample('peer', 2, 10, { x: 45 })];
    const c = counterSeries(samples, 0, 20_000, 2, ['x']);
    assert.equal(c.width, 10_000);
    assert.deepEqual(c.sums.x, [100, 0]);
  });

  it('leaves out an interval whose counter went down (a restart)', () => {
    const samples = [sample('peer', 1, 0, { x: 500 }), sample('peer', 1, 10, { x: 20 }),
      sample('peer', 1, 20, { x: 50 })];
    assert.deepEqual(counterSeries(samples, 0, 30_000, 3, ['x']).sums.x, [0, 30, 0]);
  });

  it('tells apart components of different kinds with the same id', () => {
    const samples = [sample('peer', 1, 0, { x: 0 }), sample('scheduler', 1, 5, { x: 1000 }),
      sample('peer', 1, 10, { x: 10 })];
    assert.deepEqual(counterSeries(samples, 0, 10_000, 1, ['x']).sums.x, [10]);
  });
});

describe('rateSeries', () => {
  it('gives bytes per second per bucket', () => {
    const samples = [sample('peer', 1, 0, { bytes_uploaded: 0, bytes_downloaded: 0 }),
      sample('peer', 1, 30, { bytes_uploaded: 3000, bytes_downloaded: 300 })];
    const s = rateSeries(samples, 0, 60_000, 2);
    assert.deepEqual(s.up, [100, 0]);
    assert.deepEqual(s.down, [10, 0]);
  });
});

describe('callSeries', () => {
  it('means the latency of a bucket\'s calls in ms; null where there was no call', () => {
    const samples = [
      sample('peer', 1, 0, { stat_count: 0, stat_micros: 0, export_count: 0, export_micros: 0,
        pieces_failed: 0 }),
      sample('peer', 1, 10, { stat_count: 4, stat_micros: 2000, export_count: 0,
        export_micros: 0, pieces_failed: 3 })];
    const s = callSeries(samples, 0, 20_000, 2);
    assert.deepEqual(s.stat, [0.5, null]);
    assert.deepEqual(s.export, [null, null]);
    assert.deepEqual(s.failed, [3, 0]);
  });
});

describe('latestRates', () => {
  it('is each component\'s rate between its last two samples', () => {
    const samples = [
      sample('peer', 1, 0, { bytes_uploaded: 0, bytes_downloaded: 0 }),
      sample('peer', 1, 20, { bytes_uploaded: 1000, bytes_downloaded: 0 }),
      sample('peer', 1, 10, { bytes_uploaded: 900, bytes_downloaded: 0 }),
      sample('peer', 2, 10, { bytes_uploaded: 5, bytes_downloaded: 5 }),
      sample('peer', 3, 0, { bytes_uploaded: 100, bytes_downloaded: 0 }),
      sample('peer', 3, 10, { bytes_uploaded: 0, bytes_downloaded: 0 })];
    const rates = latestRates(samples);
    assert.deepEqual(rates.get('peer/1'), { up: 10, down: 0 });
    assert.equal(rates.has('peer/2'), false, 'one sample: no rate');
    assert.equal(rates.has('peer/3'), false, 'restarted: no rate');
  });
});

describe('peerTotals', () => {
  it('adds the peers\' latest tasks and cache; free only from those that say', () => {
    const samples = [
      sample('peer', 1, 0, { tasks: 9, cache_used: 9, cache_free: 9 }),
      sample('peer', 1, 10, { tasks: 2, cache_used: 100, cache_free: 50 }),
      sample('peer', 2, 10, { tasks: 3, cache_used: 10, cache_free: -1 }),
      sample('scheduler', 1, 10, { tasks: 99, cache_used: 99, cache_free: 99 })];
    assert.deepEqual(peerTotals(samples), { tasks: 5, cacheUsed: 110, cacheFree: 50 });
    assert.equal(peerTotals([sample('peer', 2, 10, { tasks: 0, cache_used: 0, cache_free: -1 })])
      .cacheFree, null);
    assert.deepEqual(peerTotals([]), { tasks: 0, cacheUsed: 0, cacheFree: null });
  });
});
