// dfcache manager console: a client of the REST API (/api/v1) like curl, served by the manager
// itself. No framework and no build step: plain DOM calls. Every value from the API goes into the
// page as text (textContent, setAttribute), never as markup: a host name a component reported is
// not trusted to be harmless.
'use strict';

(function () {
  const TOKEN = 'dfcache.token';
  const USER = 'dfcache.user';
  const ROLE = 'dfcache.role';
  const REFRESH_MS = 5000;
  const WINDOW_MS = 3600 * 1000;
  const BUCKETS = 120; // 30 s each over the hour
  const SVG = 'http://www.w3.org/2000/svg';

  // the keys the manager accepts (dev.dfcache.dynconfig.ClientConfig and SchedulerConfig);
  // the manager checks the values, the console only shows what it refused
  const CLIENT_KEYS = [
    ['upload_rate_limit', 'Upload rate limit', 'bytes/s, 0 = none'],
    ['download_rate_limit', 'Download rate limit', 'bytes/s, 0 = none'],
    ['load_limit', 'Load limit', 'piece uploads served at once, 1..10000'],
    ['gc_high_watermark', 'GC high watermark', 'fraction of the cache, (0, 1]'],
    ['gc_low_watermark', 'GC low watermark', 'fraction, below the high watermark'],
    ['default_ttl_seconds', 'Default TTL', 'seconds, 0 = no TTL'],
    ['default_replica_count', 'Default replica count', 'copies, 1..64'],
  ];
  const SCHEDULER_KEYS = [
    ['candidate_parent_limit', 'Candidate parent limit', 'parents per download, 1..64'],
    ['default_upload_limit', 'Default upload limit', 'uploads a host serves at once, 1..10000'],
    ['bad_parent_reporters', 'Bad parent reporters', 'hosts whose reports quarantine a parent, 1..100'],
  ];

  /** A refusal or failure of a call; status 0 when the manager could not be reached. */
  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  /** The token was refused: the page has already gone back to sign-in. */
  class SessionExpired extends Error {}

  let flash = ''; // a message for the next sign-in page
  let timer = null; // the current page's refresh
  let generation = 0; // bumped by every page change: answers for an older page are dropped

  const $ = (id) => document.getElementById(id);

  // ---- calls

  async function api(method, path, body) {
    const headers = { Accept: 'application/json' };
    const token = sessionStorage.getItem(TOKEN);
    if (token) {
      headers.Authorization = 'Bearer ' + token;
    }
    const init = { method, headers, cache: 'no-store' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch (e) {
      throw new ApiError(0, 'cannot reach the manager (' + (e && e.message ? e.message : e) + ')');
    }
    const text = await res.text().catch(() => '');
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch (notJson) {
      data = null; // a proxy's error page, say: shown as text below
    }
    if (res.status === 401 && path !== '/api/v1/users/signin') {
      expire();
      throw new SessionExpired('session expired');
    }
    if (!res.ok) {
      const message = data && typeof data.message === 'string' ? data.message
        : (text ? text.slice(0, 200) : res.statusText || 'no answer');
      throw new ApiError(res.status, message);
    }
    return data;
  }

  /** What a failure says to a person. */
  function describe(e) {
    if (e instanceof ApiError) {
      if (e.status === 0) {
        return e.message;
      }
      if (e.status >= 500) {
        return 'the manager failed: ' + e.message + ' (HTTP ' + e.status + ')';
      }
      return e.message + ' (HTTP ' + e.status + ')';
    }
    return 'the console failed: ' + (e && e.message ? e.message : String(e));
  }

  function showBanner(text) {
    $('error-text').textContent = text;
    $('error-banner').hidden = false;
  }

  function hideBanner() {
    $('error-banner').hidden = true;
  }

  function fail(e) {
    if (!(e instanceof SessionExpired)) {
      showBanner(describe(e));
    }
  }

  function expire() {
    if (!sessionStorage.getItem(TOKEN)) {
      return; // another call of the same page was refused first: already on the way out
    }
    sessionStorage.clear();
    flash = 'session expired, sign in again';
    go('#/signin');
  }

  function go(hash) {
    if (location.hash === hash) {
      route();
    } else {
      location.hash = hash; // hashchange routes
    }
  }

  /** Runs a page's load now and every REFRESH_MS while the page is shown. */
  function every(gen, load) {
    let busy = false;
    const run = async () => {
      if (busy || gen !== generation) {
        return;
      }
      busy = true;
      try {
        await load();
        if (gen === generation) {
          hideBanner(); // the manager answers again
        }
      } catch (e) {
        if (gen === generation) {
          fail(e);
        }
      } finally {
        busy = false;
      }
    };
    run();
    timer = setInterval(run, REFRESH_MS);
  }

  /** Runs a page's load once (pages with forms: a refresh would overwrite what is typed). */
  async function once(gen, load) {
    try {
      await load();
      if (gen === generation) {
        hideBanner();
      }
    } catch (e) {
      if (gen === generation) {
        fail(e);
      }
    }
  }

  // ---- DOM helpers (text only, never innerHTML)

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    setAll(e, attrs);
    for (const kid of kids.flat()) {
      if (kid !== null && kid !== undefined) {
        e.append(kid instanceof Node ? kid : String(kid));
      }
    }
    return e;
  }

  function svg(tag, attrs) {
    const e = document.createElementNS(SVG, tag);
    setAll(e, attrs);
    return e;
  }

  function setAll(e, attrs) {
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) {
        continue;
      }
      if (k === 'text') {
        e.textContent = String(v);
      } else if (k.startsWith('on')) {
        e.addEventListener(k.slice(2), v);
      } else {
        e.setAttribute(k, v === true ? '' : String(v));
      }
    }
  }

  function table(testId, headers, rows, emptyText) {
    if (rows.length === 0) {
      return el('p', { class: 'empty', 'data-test': testId + '-empty', text: emptyText });
    }
    return el('table', { 'data-test': testId },
      el('thead', {}, el('tr', {}, headers.map((h) => el('th', { text: h })))),
      el('tbody', {}, rows));
  }

  function stateBadge(state) {
    return el('span', { class: 'state ' + state, 'data-test': 'state', text: state });
  }

  // ---- formats

  function bytes(n) {
    if (n === null || n === undefined || n < 0) {
      return '-';
    }
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) {
      n /= 1024;
      i++;
    }
    return (i === 0 ? String(Math.round(n)) : n.toFixed(n < 10 ? 1 : 0)) + ' ' + units[i];
  }

  function rate(n) {
    return bytes(n) + '/s';
  }

  function ago(ms) {
    if (!ms) {
      return 'never';
    }
    const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
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

  function when(ms) {
    return ms ? new Date(ms).toLocaleString() : '-';
  }

  function timeCell(ms) {
    return el('td', { title: ms ? new Date(ms).toISOString() : null, text: ago(ms) });
  }

  // ---- metrics

  /** The newest sample of each component of a kind. */
  function latestByComponent(samples, kind) {
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
   * Sums of counter increments per bucket, BUCKETS buckets over [start, end), for each field.
   * The samples carry counters since each component started: the increment of one interval is
   * the difference of two consecutive samples of one component, spread evenly over that
   * interval; a counter that went down (the component restarted) leaves that interval out.
   * Components add.
   */
  function counterSeries(samples, start, end, n, fields) {
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

  /** Cluster bytes uploaded and downloaded per second. */
  function rateSeries(samples, start, end, n) {
    const c = counterSeries(samples, start, end, n, ['bytes_uploaded', 'bytes_downloaded']);
    const perSecond = (b) => b / (c.width / 1000);
    return { start, end, up: c.sums.bytes_uploaded.map(perSecond),
      down: c.sums.bytes_downloaded.map(perSecond) };
  }

  /**
   * Each component's upload and download rate (bytes/s) between its last two samples, by
   * "kind/id"; a component with one sample, or whose counters went down, has none.
   */
  function latestRates(samples) {
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

  /** The rates of every cluster's components over the last minute or so. */
  async function recentRates() {
    const clusters = await api('GET', '/api/v1/scheduler-clusters');
    const since = Date.now() - 90 * 1000;
    const all = await Promise.all(clusters.map((c) => api('GET', '/api/v1/clusters/' + c.id
      + '/metrics?since=' + since)));
    return latestRates(all.flatMap((m) => m.samples));
  }

  function rateText(r) {
    return r ? rate(r.up) + ' / ' + rate(r.down) : '-';
  }

  /**
   * Mean stat and export latency (ms) per bucket: the time the calls of a bucket took over
   * their number (null where there was no call), and the pieces that failed per bucket.
   */
  function callSeries(samples, start, end, n) {
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

  function spread(buckets, amount, from, to, start, width) {
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

  /**
   * A y-axis top of at least v that reads well in the unit bytes() shows it in: 1, 2 or 5 times
   * a power of ten of B, KiB, MiB...
   */
  function niceCeiling(v) {
    if (v <= 0) {
      return 1024;
    }
    let unit = 1;
    while (v / unit >= 1000 && unit < Math.pow(1024, 5)) {
      unit *= 1024;
    }
    return unit * niceDecimal(v / unit);
  }

  function niceDecimal(v) {
    const p = Math.pow(10, Math.floor(Math.log10(v)));
    for (const m of [1, 2, 5, 10]) {
      if (m * p >= v) {
        return m * p;
      }
    }
    return 10 * p;
  }

  /**
   * A line chart over the hour: lines of {values, cls} (null = no point), a y axis from 0 to
   * a round top, labels by {@code format}. Attributes go on the svg (ids, data-* for tests).
   */
  function lineChart(lines, format, top, attrs, width) {
    const W = width || 720, H = 190, L = 80, R = 10, T = 10, B = 24;
    const n = lines[0].values.length;
    const x = (i) => L + (i + 0.5) * (W - L - R) / n;
    const y = (v) => T + (H - T - B) * (1 - v / top);
    const chart = svg('svg', Object.assign({ viewBox: `0 0 ${W} ${H}`, class: 'chart',
      role: 'img' }, attrs));
    for (const f of [0, 0.5, 1]) {
      const yy = y(top * f);
      chart.append(svg('line', { x1: L, x2: W - R, y1: yy, y2: yy, class: 'axis' }));
      const label = svg('text', { x: L - 6, y: yy + 4, 'text-anchor': 'end' });
      label.textContent = format(top * f);
      chart.append(label);
    }
    [[0, '-60 min'], [n / 2, '-30 min'], [n - 0.5, 'now']].forEach(([i, t]) => {
      const label = svg('text', { x: x(i), y: H - 6, 'text-anchor': i === 0 ? 'start' : 'middle' });
      label.textContent = t;
      chart.append(label);
    });
    for (const { values, cls } of lines) {
      // a gap where there is no value: one polyline per run of values
      let run = [];
      const flush = () => {
        if (run.length === 1) {
          const [px, py] = run[0].split(',');
          chart.append(svg('circle', { cx: px, cy: py, r: 2.5, class: cls + ' dot' }));
        } else if (run.length > 1) {
          chart.append(svg('polyline', { points: run.join(' '), class: cls,
            'data-test': 'line-' + cls }));
        }
        run = [];
      };
      values.forEach((v, i) => {
        if (v === null) {
          flush();
        } else {
          run.push(x(i).toFixed(1) + ',' + y(Math.min(v, top)).toFixed(1));
        }
      });
      flush();
    }
    return chart;
  }

  const peakOf = (values) => Math.max(0, ...values.filter((v) => v !== null));

  function rateChart(series, clusterId) {
    const peakUp = peakOf(series.up);
    const peakDown = peakOf(series.down);
    const chart = lineChart([{ values: series.down, cls: 'down' }, { values: series.up, cls: 'up' }],
      rate, niceCeiling(Math.max(peakUp, peakDown)), {
        id: 'rate-chart-' + clusterId, 'data-test': 'rate-chart',
        'data-peak-upload': Math.round(peakUp), 'data-peak-download': Math.round(peakDown),
        'aria-label': 'bytes uploaded and downloaded per second over the last hour',
      });
    const latest = (values) => values[values.length - 1];
    const legend = el('p', { class: 'legend' },
      el('span', { class: 'swatch up' }), 'uploaded: peak ',
      el('strong', { 'data-test': 'upload-peak', text: rate(peakUp) }),
      ', last 30 s ', el('span', { text: rate(latest(series.up)) }), ' \u00a0 ',
      el('span', { class: 'swatch down' }), 'downloaded: peak ',
      el('strong', { 'data-test': 'download-peak', text: rate(peakDown) }),
      ', last 30 s ', el('span', { text: rate(latest(series.down)) }));
    return el('div', { class: 'chart-box' }, chart, legend);
  }

  function millis(v) {
    return v >= 100 ? Math.round(v) + ' ms' : v.toFixed(v >= 10 ? 1 : 2) + ' ms';
  }

  function latencyChart(series, clusterId) {
    const peakStat = peakOf(series.stat);
    const peakExport = peakOf(series.export);
    const chart = lineChart([{ values: series.stat, cls: 'stat' },
      { values: series.export, cls: 'export' }], millis,
    niceDecimal(Math.max(1, peakStat, peakExport)), {
      id: 'latency-chart-' + clusterId, 'data-test': 'latency-chart',
      'data-peak-stat-us': Math.round(peakStat * 1000),
      'data-peak-export-us': Math.round(peakExport * 1000),
      'aria-label': 'mean stat and export latency over the last hour',
    }, 520);
    const legend = el('p', { class: 'legend' },
      el('span', { class: 'swatch stat' }), 'stat: peak ',
      el('strong', { 'data-test': 'stat-peak',
        text: series.stat.some((v) => v !== null) ? millis(peakStat) : 'no calls' }), ' \u00a0 ',
      el('span', { class: 'swatch export' }), 'export (whole call): peak ',
      el('strong', { 'data-test': 'export-peak',
        text: series.export.some((v) => v !== null) ? millis(peakExport) : 'no calls' }),
      el('span', { class: 'hint', text: ' \u00a0 mean per 30 s, as the daemons timed them' }));
    return el('div', { class: 'chart-box' }, chart, legend);
  }

  function failedChart(series, clusterId) {
    const total = series.failed.reduce((a, b) => a + b, 0);
    const chart = lineChart([{ values: series.failed, cls: 'failed' }], (v) => String(Math.round(v)),
      niceDecimal(Math.max(2, peakOf(series.failed))), {
        id: 'failed-chart-' + clusterId, 'data-test': 'failed-chart', 'data-total-failed': total,
        'aria-label': 'pieces failed per 30 s over the last hour',
      }, 520);
    const legend = el('p', { class: 'legend' }, el('span', { class: 'swatch failed' }),
      'pieces failed (a parent that failed or sent a corrupt piece), per 30 s: ',
      el('strong', { 'data-test': 'failed-total', text: total + ' in the hour' }));
    return el('div', { class: 'chart-box' }, chart, legend);
  }

  // ---- pages

  function signinPage(view) {
    hideBanner();
    const message = el('p', { id: 'signin-message', class: 'message', role: 'status', text: flash });
    flash = '';
    const name = el('input', { id: 'signin-name', name: 'name', autocomplete: 'username',
      required: true, autofocus: true });
    const password = el('input', { id: 'signin-password', name: 'password', type: 'password',
      autocomplete: 'current-password', required: true });
    const submit = el('button', { id: 'signin-submit', type: 'submit', text: 'Sign in' });
    const form = el('form', { id: 'signin-form', class: 'card signin' },
      el('h1', { text: 'dfcache manager' }), message,
      el('label', { for: 'signin-name', text: 'Name' }), name,
      el('label', { for: 'signin-password', text: 'Password' }), password,
      el('p', {}, submit));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      message.textContent = '';
      submit.disabled = true;
      try {
        const r = await api('POST', '/api/v1/users/signin',
          { name: name.value, password: password.value });
        sessionStorage.setItem(TOKEN, r.token);
        sessionStorage.setItem(USER, r.name || name.value);
        // without a role (an older manager) the edit controls stay hidden: the API decides anyway
        sessionStorage.setItem(ROLE, r.role || 'readonly');
        go('#/overview');
      } catch (e) {
        message.textContent = e instanceof ApiError && e.status === 401 ? e.message : describe(e);
      } finally {
        submit.disabled = false;
      }
    });
    view.append(form);
  }

  function overviewPage(view, arg, gen) {
    const box = el('div', { id: 'overview' }, el('p', { class: 'empty', text: 'loading...' }));
    view.append(el('h1', { text: 'Overview' }), box);
    every(gen, async () => {
      const clusters = await api('GET', '/api/v1/scheduler-clusters');
      const end = Date.now();
      // one interval before the window too: the first rate of the hour needs its start sample
      const since = end - WINDOW_MS - 60000;
      const parts = await Promise.all(clusters.map((c) => Promise.all([
        api('GET', '/api/v1/schedulers?scheduler_cluster_id=' + c.id),
        api('GET', '/api/v1/peers?scheduler_cluster_id=' + c.id),
        api('GET', '/api/v1/clusters/' + c.id + '/metrics?since=' + since),
      ])));
      if (gen !== generation) {
        return;
      }
      box.replaceChildren(...clusters.map((c, i) => clusterCard(c, ...parts[i], end)));
    });
  }

  function stat(label, value, testId, attrs) {
    return el('div', {},
      el('dt', { text: label }),
      el('dd', Object.assign({ 'data-test': testId, text: value }, attrs || {})));
  }

  function clusterCard(c, schedulers, peers, metrics, end) {
    const active = (rows) => rows.filter((r) => r.state === 'active').length;
    const latest = latestByComponent(metrics.samples, 'peer');
    const tasks = latest.reduce((a, s) => a + s.tasks, 0);
    const cacheUsed = latest.reduce((a, s) => a + s.cache_used, 0);
    const reporting = latest.filter((s) => s.cache_free >= 0);
    const cacheFree = reporting.reduce((a, s) => a + s.cache_free, 0);
    const series = rateSeries(metrics.samples, end - WINDOW_MS, end, BUCKETS);
    const calls = callSeries(metrics.samples, end - WINDOW_MS, end, BUCKETS);
    return el('section', { class: 'card', 'data-test': 'cluster', 'data-cluster-id': c.id },
      el('h2', { text: 'Scheduler cluster ' + c.name + (c.is_default ? ' (default)' : '') }),
      el('dl', { class: 'stats' },
        stat('Schedulers active', active(schedulers) + ' / ' + schedulers.length,
          'schedulers-active', { 'data-active': active(schedulers), 'data-total': schedulers.length }),
        stat('Peers active', active(peers) + ' / ' + peers.length, 'peers-active',
          { 'data-active': active(peers), 'data-total': peers.length }),
        stat('Tasks', tasks, 'tasks'),
        stat('Cache used', bytes(cacheUsed), 'cache-used', { 'data-bytes': cacheUsed }),
        stat('Cache free', reporting.length ? bytes(cacheFree) : '-', 'cache-free',
          { 'data-bytes': reporting.length ? cacheFree : null,
            title: 'what the peers\' caches can still take: their quotas, or the disk left' }),
        stat('Config version', c.config_version, 'config-version')),
      el('h2', { text: 'Transfer rate, last hour' }),
      rateChart(series, c.id),
      el('div', { class: 'charts' },
        el('div', {}, el('h2', { text: 'Stat and export latency' }), latencyChart(calls, c.id)),
        el('div', {}, el('h2', { text: 'Pieces failed' }), failedChart(calls, c.id))));
  }

  async function clusterNames() {
    const clusters = await api('GET', '/api/v1/scheduler-clusters');
    return new Map(clusters.map((c) => [c.id, c.name]));
  }

  function schedulersPage(view, arg, gen) {
    const box = el('div', { id: 'schedulers' });
    view.append(el('h1', { text: 'Schedulers' }), box);
    every(gen, async () => {
      const [rows, names] = await Promise.all([api('GET', '/api/v1/schedulers'), clusterNames()]);
      if (gen !== generation) {
        return;
      }
      box.replaceChildren(table('schedulers-table',
        ['State', 'Host', 'Address', 'Cluster', 'IDC / location', 'Version', 'Last keep-alive'],
        rows.map((r) => el('tr', { 'data-test': 'scheduler-row', 'data-state': r.state,
          'data-id': r.id },
          el('td', {}, stateBadge(r.state)),
          el('td', { text: r.host_name }),
          el('td', { text: r.ip + ':' + r.port }),
          el('td', { text: names.get(r.scheduler_cluster_id) || r.scheduler_cluster_id }),
          el('td', { text: [r.idc, r.location].filter(Boolean).join(' / ') || '-' }),
          el('td', { text: r.version || '-' }),
          timeCell(r.last_keep_alive_at))),
        'No scheduler has registered yet (start one with --manager).'));
    });
  }

  function peersPage(view, arg, gen) {
    const box = el('div', { id: 'peers' });
    view.append(el('h1', { text: 'Peers' }), box);
    every(gen, async () => {
      const [rows, names, rates] = await Promise.all([api('GET', '/api/v1/peers'),
        clusterNames(), recentRates()]);
      if (gen !== generation) {
        return;
      }
      box.replaceChildren(table('peers-table',
        ['State', 'Host', 'Address (gRPC, upload)', 'Cluster', 'IDC / location', 'Version',
          'Last keep-alive', 'Cache used / capacity', 'Upload / download rate'],
        rows.map((r) => el('tr', { 'data-test': 'peer-row', 'data-state': r.state,
          'data-id': r.id, 'data-host-id': r.host_id },
          el('td', {}, stateBadge(r.state)),
          el('td', {}, el('a', { href: '#/peer/' + r.id, 'data-test': 'peer-link',
            text: r.host_name })),
          el('td', { text: r.ip + ':' + r.port + ', ' + r.upload_port }),
          el('td', { text: names.get(r.scheduler_cluster_id) || r.scheduler_cluster_id }),
          el('td', { text: [r.idc, r.location].filter(Boolean).join(' / ') || '-' }),
          el('td', { text: r.version || '-' }),
          timeCell(r.last_keep_alive_at),
          el('td', { class: 'num', text: bytes(r.cache_used) + ' / '
            + (r.cache_capacity > 0 ? bytes(r.cache_capacity) : 'no quota') }),
          el('td', { class: 'num', 'data-test': 'peer-rates',
            text: rateText(rates.get('peer/' + r.id)) }))),
        'No peer has registered yet (start dfdaemon with --manager).'));
    });
  }

  /** A typed value: a number when it reads as one, else the text (the manager names the key). */
  function parseValue(raw) {
    const n = Number(raw);
    return Number.isFinite(n) ? n : raw;
  }

  function configPage(view, arg, gen) {
    view.append(el('h1', { text: 'Cluster configuration' }));
    const box = el('div', { id: 'config' });
    view.append(box);
    once(gen, async () => {
      const clusters = await api('GET', '/api/v1/scheduler-clusters');
      if (gen !== generation) {
        return;
      }
      if (clusters.length === 0) {
        box.replaceChildren(el('p', { class: 'empty', text: 'No scheduler cluster.' }));
        return;
      }
      const wanted = arg ? Number(arg) : (clusters.find((c) => c.is_default) || clusters[0]).id;
      const cluster = clusters.find((c) => c.id === wanted);
      if (!cluster) {
        throw new ApiError(404, 'scheduler cluster ' + arg + ' not found');
      }
      const select = el('select', { id: 'config-cluster' },
        clusters.map((c) => el('option', { value: c.id, selected: c.id === cluster.id,
          text: c.name })));
      select.addEventListener('change', () => go('#/config/' + select.value));
      box.replaceChildren(el('label', { for: 'config-cluster', text: 'Scheduler cluster' }),
        select, configForm(cluster), componentVersions(cluster, gen));
    });
  }

  function configForm(initial) {
    let cluster = initial;
    const mayWrite = sessionStorage.getItem(ROLE) === 'root';
    const inputs = [];
    const status = el('p', { id: 'config-status', class: 'ok', role: 'status', hidden: true });
    const error = el('p', { id: 'config-error', class: 'error', role: 'alert', hidden: true });

    const fieldset = (object, title, keys) => el('fieldset', { 'data-test': 'fieldset-' + object },
      el('legend', { text: title }),
      keys.map(([key, label, hint]) => {
        const id = 'cfg-' + object + '-' + key;
        const input = el('input', { id, name: key, 'data-object': object, 'data-key': key,
          inputmode: 'decimal', placeholder: 'not set', disabled: !mayWrite });
        const err = el('span', { id: 'err-' + object + '-' + key, class: 'field-error',
          'data-test': 'field-error' });
        inputs.push({ object, key, input, err });
        return el('div', { class: 'field' },
          el('label', { for: id, text: label + ' (' + key + ')' }), input,
          el('span', { class: 'hint', text: ' ' + hint }), err);
      }));

    function fill() {
      for (const f of inputs) {
        const v = (cluster[f.object] || {})[f.key];
        f.input.value = v === undefined || v === null ? '' : String(v);
        f.input.removeAttribute('aria-invalid');
        f.err.textContent = '';
      }
    }

    const form = el('form', { id: 'config-form', class: 'card' },
      el('p', { class: 'hint', text: 'An empty field removes the key: each component then uses '
        + 'its own flag or config file. Changes reach the components within a keep-alive (3 s).' }),
      fieldset('client_config', 'Peers (client_config)', CLIENT_KEYS),
      fieldset('config', 'Schedulers (config)', SCHEDULER_KEYS),
      el('p', { id: 'config-version', 'data-version': cluster.config_version,
        text: 'Configuration version ' + cluster.config_version }),
      mayWrite ? el('button', { id: 'config-save', type: 'submit', text: 'Save' })
        : el('p', { id: 'config-readonly', class: 'hint',
          text: 'You are signed in read-only: the configuration is shown, not editable.' }),
      status, error);
    fill();

    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      if (!mayWrite) {
        return;
      }
      status.hidden = true;
      error.hidden = true;
      const patch = {};
      for (const f of inputs) {
        f.input.removeAttribute('aria-invalid');
        f.err.textContent = '';
        const raw = f.input.value.trim();
        const value = raw === '' ? null : parseValue(raw);
        const before = (cluster[f.object] || {})[f.key];
        if (value !== (before === undefined ? null : before)) {
          (patch[f.object] = patch[f.object] || {})[f.key] = value; // null removes the key
        }
      }
      if (Object.keys(patch).length === 0) {
        status.textContent = 'Nothing changed.';
        status.hidden = false;
        return;
      }
      const save = $('config-save');
      save.disabled = true;
      try {
        cluster = await api('PATCH', '/api/v1/scheduler-clusters/' + cluster.id, patch);
        fill();
        $('config-version').textContent = 'Configuration version ' + cluster.config_version;
        $('config-version').setAttribute('data-version', cluster.config_version);
        status.textContent = 'Saved: configuration version ' + cluster.config_version;
        status.setAttribute('data-version', cluster.config_version);
        status.hidden = false;
        hideBanner();
      } catch (e) {
        if (e instanceof SessionExpired) {
          return;
        }
        error.textContent = e instanceof ApiError && e.status === 400 ? e.message : describe(e);
        error.hidden = false;
        // the manager names the key it refused, e.g. "client_config.load_limit must be ..."
        const named = /\b(client_config|config)\.([a-z_]+)/.exec(e.message || '');
        const field = named && inputs.find((f) => f.object === named[1] && f.key === named[2]);
        if (field) {
          field.input.setAttribute('aria-invalid', 'true');
          field.err.textContent = e.message;
          field.input.focus();
        }
        if (!(e instanceof ApiError) || e.status === 0 || e.status >= 500) {
          fail(e);
        }
      } finally {
        save.disabled = false;
      }
    });
    return form;
  }

  function tokensPage(view, arg, gen) {
    const list = el('div', { id: 'tokens' });
    const created = el('div', { id: 'token-created', class: 'card', hidden: true });
    const error = el('p', { id: 'token-error', class: 'error', role: 'alert', hidden: true });
    const name = el('input', { id: 'token-name', name: 'name', required: true, maxlength: 128,
      placeholder: 'e.g. ci' });
    const days = el('input', { id: 'token-days', name: 'days', type: 'number', min: 1, max: 365,
      value: 30 });
    const create = el('button', { id: 'token-create', type: 'submit', text: 'Create token' });
    const form = el('form', { id: 'token-form', class: 'card' },
      el('h2', { text: 'New personal access token' }),
      el('label', { for: 'token-name', text: 'Name' }), name,
      el('label', { for: 'token-days', text: 'Valid for (days)' }), days,
      el('p', {}, create), error);
    view.append(el('h1', { text: 'Personal access tokens' }),
      el('p', { class: 'hint', text: 'Tokens for scripts and CI: send them as '
        + '"Authorization: Bearer TOKEN". They act as you, with your role.' }),
      form, created, list);

    async function load() {
      const rows = await api('GET', '/api/v1/personal-access-tokens');
      if (gen !== generation) {
        return;
      }
      list.replaceChildren(table('tokens-table', ['Name', 'Created', 'Expires', ''],
        rows.map((t) => el('tr', { 'data-test': 'token-row', 'data-id': t.id, 'data-name': t.name },
          el('td', { text: t.name }),
          el('td', { text: when(t.created_at) }),
          el('td', { text: when(t.expires_at) }),
          el('td', {}, el('button', { type: 'button', class: 'secondary', 'data-test': 'token-revoke',
            'data-id': t.id, text: 'Revoke', onclick: () => revoke(t) })))),
        'You have no personal access tokens.'));
    }

    async function revoke(t) {
      error.hidden = true;
      try {
        await api('DELETE', '/api/v1/personal-access-tokens/' + t.id);
        created.hidden = true;
        await load();
      } catch (e) {
        if (!(e instanceof SessionExpired)) {
          error.textContent = describe(e);
          error.hidden = false;
        }
      }
    }

    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      error.hidden = true;
      create.disabled = true;
      try {
        const t = await api('POST', '/api/v1/personal-access-tokens',
          { name: name.value.trim(), expires_in_seconds: Math.round(Number(days.value) * 86400) });
        created.replaceChildren(
          el('p', { text: 'Token "' + t.name + '" created. Copy it now: it is not shown again.' }),
          el('code', { id: 'token-value', class: 'token', text: t.token }));
        created.hidden = false;
        name.value = '';
        await load();
      } catch (e) {
        if (!(e instanceof SessionExpired)) {
          error.textContent = describe(e);
          error.hidden = false;
        }
      } finally {
        create.disabled = false;
      }
    });
    once(gen, load);
  }

  function auditsPage(view, arg, gen) {
    const box = el('div', { id: 'audits' });
    view.append(el('h1', { text: 'Audit log' }),
      el('p', { class: 'hint', text: 'Every change, newest first (the last 200).' }), box);
    once(gen, async () => {
      const rows = await api('GET', '/api/v1/audits?limit=200');
      if (gen !== generation) {
        return;
      }
      box.replaceChildren(table('audits-table', ['When', 'Who', 'Action', 'Target', 'Detail'],
        rows.map((a) => {
          const detail = typeof a.detail === 'string' ? a.detail : JSON.stringify(a.detail);
          return el('tr', { 'data-test': 'audit-row', 'data-action': a.action },
            el('td', { title: new Date(a.at).toISOString(), text: when(a.at) }),
            el('td', { text: a.actor }),
            el('td', { text: a.action }),
            el('td', { text: a.target }),
            el('td', { class: 'detail', title: detail,
              text: detail.length > 160 ? detail.slice(0, 160) + '...' : detail }));
        }),
        'Nothing has changed yet.'));
    });
  }

  // ---- tasks, a task, a peer's tasks, jobs

  let taskCluster = 0; // the cluster the tasks pages look at (0 = the default one)
  let tagFilter = ''; // the tag of the last search

  function clusterQuery() {
    return taskCluster ? 'scheduler_cluster_id=' + taskCluster : '';
  }

  function taskRows(tasks, extra) {
    return tasks.map((t) => el('tr', { 'data-test': 'task-row', 'data-task-id': t.task_id },
      el('td', {}, el('a', { href: '#/task/' + t.task_id, 'data-test': 'task-link',
        text: t.cid || t.task_id.slice(0, 16) + '...' })),
      el('td', { text: t.tag || '-' }),
      el('td', { class: 'num', text: bytes(t.content_length) }),
      el('td', { text: t.state }),
      el('td', { class: 'num', text: t.peer_count }),
      el('td', { class: 'num', text: t.replica_count > 0
        ? t.replicas_held + ' / ' + t.replica_count : '-' }),
      el('td', { text: t.expires_at ? when(t.expires_at) : 'never' }),
      extra ? extra(t) : null));
  }

  const TASK_HEADERS = ['CID', 'Tag', 'Size', 'State', 'Peers', 'Replicas held / wanted',
    'Expires'];

  function tasksPage(view, arg, gen) {
    const query = arg ? decodeURIComponent(arg) : '';
    const search = el('input', { id: 'task-search', name: 'q', value: query,
      placeholder: 'cid or task id', autocomplete: 'off' });
    const tag = el('input', { id: 'task-tag', name: 'tag', placeholder: 'tag (optional)' });
    const form = el('form', { id: 'task-search-form', class: 'card search' },
      el('label', { for: 'task-search', text: 'Find a task by cid (or part of one) or task id' }),
      search, ' ', tag, ' ',
      el('button', { id: 'task-search-submit', type: 'submit', text: 'Search' }),
      query ? el('a', { href: '#/tasks', class: 'clear', text: 'show all' }) : null);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const q = search.value.trim();
      tagFilter = tag.value.trim();
      go(q ? '#/tasks/' + encodeURIComponent(q) : '#/tasks');
    });
    tag.value = tagFilter;
    const box = el('div', { id: 'tasks' }, el('p', { class: 'empty', text: 'loading...' }));
    const clusterChoice = el('span', {});
    view.append(el('h1', { text: 'Tasks' }), form, clusterChoice, box);
    api('GET', '/api/v1/scheduler-clusters').then((clusters) => {
      if (clusters.length < 2 || gen !== generation) {
        return; // one cluster: nothing to choose
      }
      const current = taskCluster || (clusters.find((c) => c.is_default) || clusters[0]).id;
      const select = el('select', { id: 'tasks-cluster' }, clusters.map((c) => el('option',
        { value: c.id, selected: c.id === current, text: c.name })));
      select.addEventListener('change', () => {
        taskCluster = Number(select.value);
        route();
      });
      clusterChoice.replaceChildren(el('label', { for: 'tasks-cluster',
        text: 'Scheduler cluster' }), select);
    }).catch(fail);
    let pageToken = '';
    const tokens = []; // the tokens of the pages before, for "previous"
    async function load() {
      const cq = clusterQuery();
      const path = query
        ? '/api/v1/tasks?q=' + encodeURIComponent(query)
          + (tagFilter ? '&tag=' + encodeURIComponent(tagFilter) : '') + (cq ? '&' + cq : '')
        : '/api/v1/tasks?page_size=50' + (pageToken ? '&page_token=' + pageToken : '')
          + (cq ? '&' + cq : '');
      const r = await api('GET', path);
      if (gen !== generation) {
        return;
      }
      const nav = [];
      if (!query && tokens.length > 0) {
        nav.push(el('button', { type: 'button', class: 'secondary', id: 'tasks-prev',
          text: 'Previous', onclick: () => { pageToken = tokens.pop(); load().catch(fail); } }));
      }
      if (!query && r.next_page_token) {
        nav.push(el('button', { type: 'button', class: 'secondary', id: 'tasks-next',
          text: 'Next', onclick: () => { tokens.push(pageToken); pageToken = r.next_page_token;
            load().catch(fail); } }));
      }
      box.replaceChildren(table('tasks-table', TASK_HEADERS, taskRows(r.tasks),
        query ? 'No task matches "' + query + '".' : 'No peer holds any task.'),
      query && r.complete === false ? el('p', { class: 'hint',
        text: 'Only the first tasks of the cluster were searched; give more of the cid.' }) : null,
      el('p', {}, nav));
    }
    every(gen, load);
  }

  function taskPage(view, arg, gen) {
    const taskId = arg || '';
    const box = el('div', { id: 'task' }, el('p', { class: 'empty', text: 'loading...' }));
    const jobBox = el('div', { id: 'task-job' });
    view.append(el('h1', {}, 'Task ', el('code', { text: taskId })), box, jobBox);
    let deleting = false;
    every(gen, async () => {
      let t;
      let peers;
      try {
        [t, peers] = await Promise.all([
          api('GET', '/api/v1/tasks/' + encodeURIComponent(taskId)
            + (clusterQuery() ? '?' + clusterQuery() : '')),
          api('GET', '/api/v1/peers')]);
      } catch (e) {
        if (e instanceof ApiError && e.status === 404 && gen === generation) {
          box.replaceChildren(el('p', { class: 'empty', 'data-test': 'task-gone',
            text: 'No peer holds this task (any more).' }));
          return;
        }
        throw e;
      }
      if (gen !== generation) {
        return;
      }
      const peerIds = new Map(peers.map((p) => [p.host_id, p.id]));
      const holders = table('holders-table', ['Peer', 'Address', 'IDC / location', 'Pieces',
        'Complete'], t.holders.map((h) => el('tr', { 'data-test': 'holder-row',
        'data-peer-id': h.peer_id, 'data-done': String(h.done) },
        el('td', {}, peerIds.has(h.peer_id)
          ? el('a', { href: '#/peer/' + peerIds.get(h.peer_id), text: h.hostname || h.peer_id })
          : h.hostname || h.peer_id),
        el('td', { text: h.ip }),
        el('td', { text: [h.idc, h.location].filter(Boolean).join(' / ') || '-' }),
        el('td', { class: 'num', text: h.pieces + ' / ' + t.piece_count }),
        el('td', { text: h.done ? 'yes' : 'downloading' }))), 'No holder.');
      const mayWrite = sessionStorage.getItem(ROLE) === 'root';
      box.replaceChildren(el('section', { class: 'card' },
        el('dl', { class: 'stats' },
          stat('CID', t.cid || '-', 'task-cid'),
          stat('Tag', t.tag || '-', 'task-tag'),
          stat('Size', bytes(t.content_length), 'task-size', { 'data-bytes': t.content_length }),
          stat('Pieces', t.piece_count + ' x ' + bytes(t.piece_size || 0), 'task-pieces'),
          stat('State', t.state, 'task-state'),
          stat('Holders', t.holders.length, 'task-holders', { 'data-count': t.holders.length }),
          stat('Replicas held / wanted', t.replica_count > 0
            ? t.replicas_held + ' / ' + t.replica_count : 'no target', 'task-replicas'),
          stat('Expires', t.expires_at ? when(t.expires_at) : 'never', 'task-expires')),
        el('h2', { text: 'Holders' }), holders,
        mayWrite && !deleting ? deleteControls(t) : null));
    });

    function deleteControls(t) {
      const confirm = el('button', { id: 'task-delete-confirm', type: 'button', hidden: true,
        class: 'danger', text: 'Delete from all ' + t.holders.length + ' holder(s)' });
      const cancel = el('button', { id: 'task-delete-cancel', type: 'button', hidden: true,
        class: 'secondary', text: 'Cancel' });
      const start = el('button', { id: 'task-delete', type: 'button', class: 'danger',
        text: 'Delete across the network' });
      start.addEventListener('click', () => {
        start.hidden = true;
        confirm.hidden = false;
        cancel.hidden = false;
      });
      cancel.addEventListener('click', () => {
        start.hidden = false;
        confirm.hidden = true;
        cancel.hidden = true;
      });
      confirm.addEventListener('click', async () => {
        confirm.disabled = true;
        deleting = true;
        try {
          const job = await api('POST', '/api/v1/jobs', { type: 'delete_task',
            args: { task_id: t.task_id },
            scheduler_cluster_id: taskCluster || undefined });
          confirm.closest('p').remove();
          followJob(job, jobBox, gen);
        } catch (e) {
          deleting = false;
          confirm.disabled = false;
          fail(e);
        }
      });
      return el('p', { class: 'actions' }, start, ' ', confirm, ' ', cancel);
    }
  }

  /** Shows a job's state and progress until it ends (polled every second). */
  function followJob(job, box, gen) {
    const show = (j) => box.replaceChildren(el('section', { class: 'card' },
      el('h2', { text: 'Job ' + j.id + ': ' + j.type.replace('_', ' ') }),
      el('p', { id: 'job-status', 'data-state': j.state, 'data-job-id': j.id,
        class: j.state === 'SUCCESS' ? 'ok' : j.state === 'FAILURE' ? 'error' : 'running' },
      el('strong', { text: j.state }), ': ', el('span', { text: j.progress }))));
    show(job);
    const poll = async () => {
      if (gen !== generation) {
        return;
      }
      try {
        const j = await api('GET', '/api/v1/jobs/' + job.id);
        show(j);
        if (j.state === 'SUCCESS' || j.state === 'FAILURE') {
          return;
        }
      } catch (e) {
        fail(e);
      }
      setTimeout(poll, 1000);
    };
    setTimeout(poll, 500);
  }

  function peerPage(view, arg, gen) {
    const id = Number(arg);
    const head = el('div', { id: 'peer' }, el('p', { class: 'empty', text: 'loading...' }));
    const box = el('div', { id: 'peer-tasks' });
    view.append(el('h1', { text: 'Peer' }), head, el('h2', { text: 'Tasks it holds' }), box);
    every(gen, async () => {
      const [peers, held, rates] = await Promise.all([api('GET', '/api/v1/peers'),
        api('GET', '/api/v1/peers/' + id + '/tasks'), recentRates()]);
      if (gen !== generation) {
        return;
      }
      const p = peers.find((r) => r.id === id);
      head.replaceChildren(el('section', { class: 'card' }, el('dl', { class: 'stats' },
        stat('Host', p.host_name, 'peer-host'),
        stat('State', p.state, 'peer-state'),
        stat('Address', p.ip + ':' + p.port, 'peer-address'),
        stat('Cache used', bytes(p.cache_used) + ' / '
          + (p.cache_capacity > 0 ? bytes(p.cache_capacity) : 'no quota'), 'peer-cache'),
        stat('Last keep-alive', ago(p.last_keep_alive_at), 'peer-keepalive'),
        stat('Upload / download rate', rateText(rates.get('peer/' + id)), 'peer-rates'),
        stat('Host id', p.host_id, 'peer-host-id'))));
      box.replaceChildren(table('peer-tasks-table', TASK_HEADERS.concat(['Held here']),
        taskRows(held.tasks, (t) => el('td', { text: t.done ? 'complete'
          : t.pieces_held + ' / ' + t.piece_count + ' pieces' }))
          .map((row) => { row.setAttribute('data-test', 'peer-task-row'); return row; }),
        'This peer holds no task.'),
      held.complete === false ? el('p', { class: 'hint',
        text: 'Only the first tasks of the cluster were looked through.' }) : null);
    });
  }

  function jobsPage(view, arg, gen) {
    const box = el('div', { id: 'jobs' });
    view.append(el('h1', { text: 'Jobs' }),
      el('p', { class: 'hint', text: 'Work the schedulers carried out for the manager, newest '
        + 'first. Delete a task from its page.' }), box);
    every(gen, async () => {
      const rows = await api('GET', '/api/v1/jobs?limit=100');
      if (gen !== generation) {
        return;
      }
      box.replaceChildren(table('jobs-table', ['Id', 'Type', 'State', 'Task', 'Progress',
        'By', 'Started', 'Updated'], rows.map((j) => el('tr', { 'data-test': 'job-row',
        'data-state': j.state, 'data-id': j.id },
        el('td', { text: j.id }),
        el('td', { text: j.type }),
        el('td', {}, el('span', { class: 'state ' + (j.state === 'SUCCESS' ? 'active'
          : j.state === 'FAILURE' ? 'inactive' : ''), text: j.state })),
        el('td', {}, j.args && j.args.task_id ? el('a', { href: '#/task/' + j.args.task_id,
          text: j.args.cid || j.args.task_id.slice(0, 16) + '...' }) : '-'),
        el('td', { text: j.progress }),
        el('td', { text: j.user_name }),
        timeCell(j.created_at),
        timeCell(j.updated_at))), 'No job yet.'));
    });
  }

  /** The components of a cluster and the configuration version each runs with, refreshed. */
  function componentVersions(cluster, gen) {
    const box = el('div', { id: 'config-components' });
    every(gen, async () => {
      const [schedulers, peers, c] = await Promise.all([
        api('GET', '/api/v1/schedulers?scheduler_cluster_id=' + cluster.id),
        api('GET', '/api/v1/peers?scheduler_cluster_id=' + cluster.id),
        api('GET', '/api/v1/scheduler-clusters/' + cluster.id)]);
      if (gen !== generation) {
        return;
      }
      const rows = schedulers.map((r) => ['scheduler', r]).concat(peers.map((r) => ['peer', r]));
      box.replaceChildren(table('config-components-table', ['Component', 'Host', 'State',
        'Runs version', 'Picked up'], rows.map(([kind, r]) => el('tr', {
        'data-test': 'config-component-row', 'data-kind': kind, 'data-id': r.id,
        'data-version': r.config_version },
      el('td', { text: kind }),
      el('td', { text: r.host_name }),
      el('td', {}, stateBadge(r.state)),
      el('td', {}, el('span', { class: 'state ' + (r.config_version === c.config_version
        ? 'active' : 'inactive'), text: r.config_version ? String(r.config_version) : 'not reported' }),
      r.config_version && r.config_version !== c.config_version ? ' (current: '
        + c.config_version + ')' : ''),
      timeCell(r.config_applied_at))), 'No component in this cluster.'));
    });
    return el('section', { class: 'card' }, el('h2', { text: 'Who runs which version' }),
      el('p', { class: 'hint', text: 'Each scheduler and peer says with every keep-alive which '
        + 'configuration version it runs; "picked up" is when that changed.' }), box);
  }

  function notFoundPage(view) {
    view.append(el('h1', { text: 'No such page' }),
      el('p', {}, el('a', { href: '#/overview', text: 'Back to the overview' })));
  }

  const PAGES = {
    signin: signinPage,
    overview: overviewPage,
    schedulers: schedulersPage,
    peers: peersPage,
    config: configPage,
    tasks: tasksPage,
    task: taskPage,
    peer: peerPage,
    jobs: jobsPage,
    tokens: tokensPage,
    audits: auditsPage,
  };

  function route() {
    generation++;
    clearInterval(timer);
    timer = null;
    const path = location.hash.replace(/^#\/?/, '') || 'overview';
    const slash = path.indexOf('/');
    const name = slash < 0 ? path : path.slice(0, slash);
    const arg = slash < 0 ? undefined : path.slice(slash + 1);
    if (!sessionStorage.getItem(TOKEN) && name !== 'signin') {
      go('#/signin');
      return;
    }
    const signedIn = name !== 'signin';
    $('top').hidden = !signedIn;
    $('whoami').textContent = signedIn
      ? sessionStorage.getItem(USER) + ' (' + sessionStorage.getItem(ROLE) + ')' : '';
    const section = { task: 'tasks', peer: 'peers' }[name] || name;
    for (const a of document.querySelectorAll('#nav a')) {
      a.classList.toggle('current', a.dataset.page === section);
    }
    const view = $('view');
    view.replaceChildren();
    view.setAttribute('data-page', name);
    (PAGES[name] || notFoundPage)(view, arg, generation);
  }

  function start() {
    $('signout').addEventListener('click', async () => {
      // the manager ends the session, so the token stops working everywhere; the page signs
      // out whatever the answer (a manager that is down cannot be asked)
      const token = sessionStorage.getItem(TOKEN);
      sessionStorage.clear();
      if (token) {
        try {
          await fetch('/api/v1/users/signout', { method: 'POST', cache: 'no-store',
            headers: { Authorization: 'Bearer ' + token } });
          flash = 'signed out';
        } catch (e) {
          flash = 'signed out here; the manager could not be told (' + e.message + ')';
        }
      }
      go('#/signin');
    });
    $('error-close').addEventListener('click', hideBanner);
    // a bug must not leave a blank page: it shows like any other failure
    window.addEventListener('error', (ev) => showBanner('the console failed: ' + ev.message));
    window.addEventListener('unhandledrejection', (ev) => {
      if (!(ev.reason instanceof SessionExpired)) {
        showBanner(describe(ev.reason));
      }
    });
    // anything the policy blocks is a bug of the console: said, and counted for its test
    document.addEventListener('securitypolicyviolation', (ev) => {
      const root = document.documentElement;
      root.setAttribute('data-csp-violations',
        String(Number(root.getAttribute('data-csp-violations') || 0) + 1));
      showBanner('the console was blocked by its Content-Security-Policy: '
        + ev.violatedDirective + ' ' + ev.blockedURI);
    });
    window.addEventListener('hashchange', route);
    route();
  }

  start();
})();
