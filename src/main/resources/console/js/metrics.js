// From what the manager computes out of its metric samples to what the console shows. The
// manager's database does the work (GET /api/v1/clusters/ID/metrics/latest: each component's
// newest sample and rates; .../metrics/minutes: the cluster per minute), so the console never
// fetches raw samples and its cost follows the number of components, not of samples. What is
// left here is pure, unit-tested under node.

export const MINUTE_MS = 60 * 1000;
export const MINUTES = 60; // the charts' hour, one point per minute

/** The start of the minute a time (epoch ms) falls in. */
export function minuteOf(ms) {
  return ms - (((ms % MINUTE_MS) + MINUTE_MS) % MINUTE_MS);
}

/**
 * The charts' series over the hour from a minutes answer ({until, minutes: [...]}): n points,
 * one per minute, the last the minute until falls in (still running: its rates are over the
 * time its samples cover, so they need no correction). A minute without samples has rates and
 * failures 0 and no latency (null); the latency of a minute is its calls' time over their
 * number, in ms.
 */
export function minuteSeries(answer, n = MINUTES) {
  const last = minuteOf(answer.until - 1);
  const start = last - (n - 1) * MINUTE_MS;
  const byMinute = new Map(answer.minutes.map((m) => [m.minute, m]));
  const at = (i) => byMinute.get(start + i * MINUTE_MS);
  const each = (f) => Array.from({ length: n }, (_, i) => f(at(i)));
  const mean = (micros, count) => (m) => m && m[count] > 0 ? m[micros] / m[count] / 1000 : null;
  return {
    start,
    width: MINUTE_MS,
    up: each((m) => m ? m.upload_rate : 0),
    down: each((m) => m ? m.download_rate : 0),
    stat: each(mean('stat_micros', 'stat_count')),
    export: each(mean('export_micros', 'export_count')),
    failed: each((m) => m ? m.pieces_failed : 0),
  };
}

/** Asked again on every refresh: the running minute and the one before (a sample may be late). */
export const REFRESHED_MINUTES = 2;
/** Held minutes older than this (a tab asleep) are dropped: the whole hour is asked again. */
export const HELD_FOR_MS = 10 * MINUTE_MS;

/**
 * The query of the next minutes call: '' (the manager's default, the whole hour) without held
 * minutes or with old ones, else only the last REFRESHED_MINUTES, in the manager's time.
 */
export function minutesQuery(held, now = Date.now()) {
  if (!held || now - held.received > HELD_FOR_MS) {
    return '';
  }
  return '?since=' + (minuteOf(held.until - 1) - (REFRESHED_MINUTES - 1) * MINUTE_MS);
}

/**
 * The minutes held after an answer: the held ones before the answer's since, then the answer's,
 * no older than the hour (n minutes) the answer ends in; received is when (browser time).
 */
export function mergeMinutes(held, answer, n = MINUTES, now = Date.now()) {
  const first = minuteOf(answer.until - 1) - (n - 1) * MINUTE_MS;
  const kept = held ? held.minutes.filter((m) => m.minute >= first && m.minute < answer.since)
    : [];
  return { since: first, until: answer.until, received: now,
    minutes: kept.concat(answer.minutes) };
}

/**
 * Each component's upload and download rate (bytes/s) between its last two samples, by
 * "kind/id", from latest answers' rows; one the manager gave no rate (a single sample, or
 * counters that went down) has none.
 */
export function latestRates(rows) {
  const out = new Map();
  for (const r of rows) {
    if (r.upload_rate !== null && r.upload_rate !== undefined && r.download_rate !== null
        && r.download_rate !== undefined) {
      out.set(r.component_kind + '/' + r.component_id, { up: r.upload_rate,
        down: r.download_rate });
    }
  }
  return out;
}

/** What the peers of a cluster hold, from each one's latest sample (a latest answer's rows). */
export function peerTotals(rows) {
  const peers = rows.filter((s) => s.component_kind === 'peer');
  const reporting = peers.filter((s) => s.cache_free >= 0);
  return {
    tasks: peers.reduce((a, s) => a + s.tasks, 0),
    cacheUsed: peers.reduce((a, s) => a + s.cache_used, 0),
    // null when no peer says: free is what a quota or the disk can still take
    cacheFree: reporting.length ? reporting.reduce((a, s) => a + s.cache_free, 0) : null,
  };
}
