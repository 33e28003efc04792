// From the manager's metric samples (counters since each component started, one row per
// component and sampling) to what the console shows: latest figures, rates and series over the
// hour. Pure functions, unit-tested under node.

export const WINDOW_MS = 3600 * 1000;
export const BUCKETS = 120; // 30 s each over the hour

/** The newest sample of each component of a kind. */
export function latestByComponent(samples, kind) {
  const latest = new Map();
  for (const s of samples) {
    if (s.component_kind !== kind) {
      continue;
    }
    const seen = latest.get(s.component_id);
    if (!seen || s.at >= seen.at) {
      latest.set(s.component_id, s);
    }
  }
  return [...latest.values()];
}

/**
 * Sums of counter increments per bucket, n buckets over [start, end), for each field.
 * The samples carry counters since each component started: the increment of one interval is
 * the difference of two consecutive samples of one component, spread evenly over that
 * interval; a counter that went down (the component restarted) leaves that interval out.
 * Components add.
 */
export function counterSeries(samples, start, end, n, fields) {
  const width = (end - start) / n;
  const out = {};
  for (const f of fields) {
    out[f] = new Array(n).fill(0);
  }
  const last = new Map();
  const sorted = [...samples].sort((a, b) => a.at - b.at);
  for (const s of sorted) {
    const key = s.component_kind + '/' + s.component_id;
    const prev = last.get(key);
    last.set(key, s);
    if (!prev || s.at <= prev.at) {
      continue;
    }
    const deltas = fields.map((f) => (s[f] || 0) - (prev[f] || 0));
    if (deltas.some((d) => d < 0)) {
      continue;
    }
    fields.forEach((f, i) => spread(out[f], deltas[i], prev.at, s.at, start, width));
  }
  return { start, end, width, sums: out };
}

/**
 * Adds amount to the buckets (each width long from start) that [from, to] overlaps, in
 * proportion to the overlap; the part outside the buckets is dropped.
 */
export function spread(buckets, amount, from, to, start, width) {
  if (amount === 0) {
    return;
  }
  const first = Math.max(0, Math.floor((from - start) / width));
  const lastBucket = Math.min(buckets.length - 1, Math.floor((to - start) / width));
  for (let i = first; i <= lastBucket; i++) {
    const b0 = start + i * width;
    const overlap = Math.min(to, b0 + width) - Math.max(from, b0);
    if (overlap > 0) {
      buckets[i] += amount * overlap / (to - from);
    }
  }
}

/** Cluster bytes uploaded and downloaded per second. */
export function rateSeries(samples, start, end, n) {
  const c = counterSeries(samples, start, end, n, ['bytes_uploaded', 'bytes_downloaded']);
  const perSecond = (b) => b / (c.width / 1000);
  return { start, end, up: c.sums.bytes_uploaded.map(perSecond),
    down: c.sums.bytes_downloaded.map(perSecond) };
}

/**
 * Mean stat and export latency (ms) per bucket: the time the calls of a bucket took over
 * their number (null where there was no call), and the pieces that failed per bucket.
 */
export function callSeries(samples, start, end, n) {
  const c = counterSeries(samples, start, end, n, ['stat_count', 'stat_micros',
    'export_count', 'export_micros', 'pieces_failed']);
  const mean = (micros, counts) => micros.map((m, i) => counts[i] >= 0.5
    ? m / counts[i] / 1000 : null);
  return {
    stat: mean(c.sums.stat_micros, c.sums.stat_count),
    export: mean(c.sums.export_micros, c.sums.export_count),
    failed: c.sums.pieces_failed.map((v) => Math.round(v)),
  };
}

/**
 * Each component's upload and download rate (bytes/s) between its last two samples, by
 * "kind/id"; a component with one sample, or whose counters went down, has none.
 */
export function latestRates(samples) {
  const byComponent = new Map();
  for (const s of [...samples].sort((a, b) => a.at - b.at)) {
    const key = s.component_kind + '/' + s.component_id;
    const seen = byComponent.get(key) || [];
    byComponent.set(key, [seen[seen.length - 1], s].filter(Boolean));
  }
  const out = new Map();
  for (const [key, pair] of byComponent) {
    if (pair.length === 2 && pair[1].at > pair[0].at) {
      const secs = (pair[1].at - pair[0].at) / 1000;
      const up = (pair[1].bytes_uploaded - pair[0].bytes_uploaded) / secs;
      const down = (pair[1].bytes_downloaded - pair[0].bytes_downloaded) / secs;
      if (up >= 0 && down >= 0) {
        out.set(key, { up, down });
      }
    }
  }
  return out;
}

/** What the peers of a cluster hold, from each one's latest sample. */
export function peerTotals(samples) {
  const latest = latestByComponent(samples, 'peer');
  const reporting = latest.filter((s) => s.cache_free >= 0);
  return {
    tasks: latest.reduce((a, s) => a + s.tasks, 0),
    cacheUsed: latest.reduce((a, s) => a + s.cache_used, 0),
    // null when no peer says: free is what a quota or the disk can still take
    cacheFree: reporting.length ? reporting.reduce((a, s) => a + s.cache_free, 0) : null,
  };
}
