import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HELD_FOR_MS, MINUTE_MS, MINUTES, latestRates, mergeMinutes, minuteOf, minuteSeries,
  minutesQuery, peerTotals } from '../../main/resources/console/js/metrics.js';

/** A row of a latest answer: one component's newest sample, with its rates. */
const latest = (kind, id, fields) => Object.assign({ component_kind: kind, component_id: id,
  at: 0, upload_rate: null, download_rate: null }, fields);

/** A row of a minutes answer, the minute given as minutes since 0. */
const minute = (m, fields) => Object.assign({ minute: m * MINUTE_MS, upload_rate: 0,
  download_rate: 0, pieces_failed: 0, stat_count: 0, stat_micros: 0, export_count: 0,
  export_micros: 0 }, fields);

describe('minuteOf', () => {
  it('is the start of the minute a time falls in', () => {
    assert.equal(minuteOf(0), 0);
    assert.equal(minuteOf(59_999), 0);
    assert.equal(minuteOf(60_000), 60_000);
    assert.equal(minuteOf(1_700_000_065_432), 1_700_000_040_000);
  });
});

describe('minuteSeries', () => {
  it('has one point per minute, the last the minute until falls in', () => {
    const s = minuteSeries({ until: 100 * MINUTE_MS + 5_000, minutes: [
      minute(40, { upload_rate: 7 }), // one before the hour: left out
      minute(42, { upload_rate: 10, download_rate: 20, pieces_failed: 3 }),
      minute(100, { upload_rate: 5, download_rate: 6 })] });
    assert.equal(s.up.length, MINUTES);
    assert.equal(s.start, 41 * MINUTE_MS);
    assert.equal(s.width, MINUTE_MS);
    assert.equal(s.up[0], 0, 'a minute without samples: 0');
    assert.equal(s.up[1], 10);
    assert.equal(s.down[1], 20);
    assert.equal(s.failed[1], 3);
    assert.equal(s.up[MINUTES - 1], 5);
    assert.equal(s.down[MINUTES - 1], 6);
    assert.equal(s.up.reduce((a, b) => a + b, 0), 15);
  });

  it('ends with the minute before when until is the start of one', () => {
    const s = minuteSeries({ until: 100 * MINUTE_MS, minutes: [minute(99, { upload_rate: 1 })] });
    assert.equal(s.up[MINUTES - 1], 1);
    assert.equal(s.start, 40 * MINUTE_MS);
  });

  it('means a minute\'s latency in ms; null where there was no call', () => {
    const s = minuteSeries({ until: 3 * MINUTE_MS, minutes: [
      minute(0, { stat_count: 4, stat_micros: 2000, export_count: 0, export_micros: 0 }),
      minute(2, { stat_count: 0, stat_micros: 0, export_count: 2, export_micros: 5000 })] }, 3);
    assert.deepEqual(s.stat, [0.5, null, null]);
    assert.deepEqual(s.export, [null, null, 2.5]);
    assert.deepEqual(s.failed, [0, 0, 0]);
  });

  it('is flat for no minutes at all', () => {
    const s = minuteSeries({ until: 10 * MINUTE_MS, minutes: [] }, 4);
    assert.deepEqual(s.up, [0, 0, 0, 0]);
    assert.deepEqual(s.stat, [null, null, null, null]);
  });
});

describe('minutesQuery and mergeMinutes', () => {
  it('asks for the whole hour first, then for the last two minutes only', () => {
    assert.equal(minutesQuery(undefined), '');
    const first = mergeMinutes(undefined, { since: 40 * MINUTE_MS, until: 100 * MINUTE_MS + 5_000,
      minutes: [minute(41, { upload_rate: 1 }), minute(99, { upload_rate: 2 }),
        minute(100, { upload_rate: 3 })] }, MINUTES, 1_000);
    assert.equal(first.minutes.length, 3);
    assert.equal(minutesQuery(first, 2_000), '?since=' + 99 * MINUTE_MS);
    assert.equal(minutesQuery(first, 1_000 + HELD_FOR_MS + 1), '', 'held too long: all again');
  });

  it('keeps the held minutes before the answer, takes the answer\'s, drops the hour\'s past', () => {
    const held = { since: 41 * MINUTE_MS, until: 100 * MINUTE_MS + 5_000, received: 0,
      minutes: [minute(41, { upload_rate: 1 }), minute(42, { upload_rate: 4 }),
        minute(99, { upload_rate: 2 }), minute(100, { upload_rate: 3 })] };
    const answer = { since: 100 * MINUTE_MS, until: 101 * MINUTE_MS + 1_000,
      minutes: [minute(100, { upload_rate: 30 }), minute(101, { upload_rate: 5 })] };
    const merged = mergeMinutes(held, answer, MINUTES, 7);
    assert.deepEqual(merged.minutes.map((m) => [m.minute / MINUTE_MS, m.upload_rate]),
      [[42, 4], [99, 2], [100, 30], [101, 5]]);
    assert.equal(merged.until, answer.until);
    assert.equal(merged.received, 7);
    const s = minuteSeries(merged);
    assert.equal(s.up[0], 4);
    assert.equal(s.up[MINUTES - 1], 5);
  });
});

describe('latestRates', () => {
  it('is each component\'s rate the manager gave, by kind and id', () => {
    const rates = latestRates([
      latest('peer', 1, { upload_rate: 10, download_rate: 0 }),
      latest('peer', 2),
      latest('scheduler', 1, { upload_rate: 3, download_rate: 4 })]);
    assert.deepEqual(rates.get('peer/1'), { up: 10, down: 0 });
    assert.equal(rates.has('peer/2'), false, 'one sample or a restart: no rate');
    assert.deepEqual(rates.get('scheduler/1'), { up: 3, down: 4 },
      'kinds with the same id apart');
  });
});

describe('peerTotals', () => {
  it('adds the peers\' latest tasks and cache; free only from those that say', () => {
    const rows = [
      latest('peer', 1, { tasks: 2, cache_used: 100, cache_free: 50 }),
      latest('peer', 2, { tasks: 3, cache_used: 10, cache_free: -1 }),
      latest('scheduler', 1, { tasks: 99, cache_used: 99, cache_free: 99 })];
    assert.deepEqual(peerTotals(rows), { tasks: 5, cacheUsed: 110, cacheFree: 50 });
    assert.equal(peerTotals([latest('peer', 2, { tasks: 0, cache_used: 0, cache_free: -1 })])
      .cacheFree, null);
    assert.deepEqual(peerTotals([]), { tasks: 0, cacheUsed: 0, cacheFree: null });
  });

  it('adds 200 peers', () => {
    const rows = Array.from({ length: 200 }, (_, i) => latest('peer', i + 1,
      { tasks: i, cache_used: 1000, cache_free: 1 }));
    assert.deepEqual(peerTotals(rows), { tasks: 199 * 200 / 2, cacheUsed: 200_000,
      cacheFree: 200 });
  });
});
