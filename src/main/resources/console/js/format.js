// How numbers and times read in the console: pure functions, unit-tested under node.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** A byte count in binary units ("1.5 MiB"); '-' for none or a negative (unknown) count. */
export function bytes(n) {
  if (n === null || n === undefined || n < 0) {
    return '-';
  }
  let i = 0;
  while (n >= 1024 && i < UNITS.length - 1) {
    n /= 1024;
    i++;
  }
  return (i === 0 ? String(Math.round(n)) : n.toFixed(n < 10 ? 1 : 0)) + ' ' + UNITS[i];
}

export function rate(n) {
  return bytes(n) + '/s';
}

/** An upload and download rate pair ({up, down} bytes/s), '-' when there is none. */
export function rateText(r) {
  return r ? rate(r.up) + ' / ' + rate(r.down) : '-';
}

/** How long ago a time (epoch ms) was, in its largest whole unit; 'never' for none. */
export function ago(ms, now = Date.now()) {
  if (!ms) {
    return 'never';
  }
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) {
    return s + ' s ago';
  }
  if (s < 3600) {
    return Math.floor(s / 60) + ' min ago';
  }
  if (s < 86400) {
    return Math.floor(s / 3600) + ' h ago';
  }
  return Math.floor(s / 86400) + ' d ago';
}

/** A time (epoch ms) in the browser's locale; '-' for none. */
export function when(ms) {
  return ms ? new Date(ms).toLocaleString() : '-';
}

/** A duration in milliseconds with about three significant digits. */
export function millis(v) {
  return v >= 100 ? Math.round(v) + ' ms' : v.toFixed(v >= 10 ? 1 : 2) + ' ms';
}

/** Where a component runs: "idc / location", either alone, or '-'. */
export function place(r) {
  return [r.idc, r.location].filter(Boolean).join(' / ') || '-';
}

/** A cache's use against its quota. */
export function cacheText(used, capacity) {
  return bytes(used) + ' / ' + (capacity > 0 ? bytes(capacity) : 'no quota');
}

/** What a task is called in a table: its cid, else the start of its id. */
export function taskLabel(t) {
  return t.cid || t.task_id.slice(0, 16) + '...';
}

/** Replicas held against the target, '-' (or the given text) without a target. */
export function replicasText(t, none = '-') {
  return t.replica_count > 0 ? t.replicas_held + ' / ' + t.replica_count : none;
}
