// The overview: per scheduler cluster, its components, what its peers hold, and charts of the
// last hour, from what the manager computes out of the components' metric samples (each
// component's latest sample, the cluster per minute): two answers whose size does not grow with
// the samples. The minutes are asked for whole once, then only the last two on each refresh.

import { api, clusters } from '../api.js';
import { failedChart, latencyChart, rateChart } from '../charts.js';
import { el, stat } from '../dom.js';
import { bytes } from '../format.js';
import { mergeMinutes, minuteSeries, minutesQuery, peerTotals } from '../metrics.js';
import { every, isCurrent } from '../router.js';

export function overviewPage(view, arg, gen) {
  const box = el('div', { id: 'overview' }, el('p', { class: 'empty', text: 'loading...' }));
  view.append(el('h1', { text: 'Overview' }), box);
  const held = new Map(); // cluster id -> its minutes so far
  every(gen, async () => {
    const all = await clusters();
    // times are the manager's own: its defaults (the last hour), then its answers' until
    const parts = await Promise.all(all.map((c) => Promise.all([
      api('GET', '/api/v1/schedulers?scheduler_cluster_id=' + c.id),
      api('GET', '/api/v1/peers?scheduler_cluster_id=' + c.id),
      api('GET', '/api/v1/clusters/' + c.id + '/metrics/latest'),
      api('GET', '/api/v1/clusters/' + c.id + '/metrics/minutes' + minutesQuery(held.get(c.id))),
    ])));
    if (!isCurrent(gen)) {
      return;
    }
    all.forEach((c, i) => held.set(c.id, mergeMinutes(held.get(c.id), parts[i][3])));
    box.replaceChildren(...all.map((c, i) => clusterCard(c, parts[i][0], parts[i][1],
      parts[i][2], held.get(c.id))));
  });
}

/** How many of the rows are active. */
export const activeCount = (rows) => rows.filter((r) => r.state === 'active').length;

function clusterCard(c, schedulers, peers, latest, minutes) {
  const totals = peerTotals(latest.latest);
  const series = minuteSeries(minutes);
  const activeSchedulers = activeCount(schedulers);
  const activePeers = activeCount(peers);
  return el('section', { class: 'card', 'data-test': 'cluster', 'data-cluster-id': c.id },
    el('h2', { text: 'Scheduler cluster ' + c.name + (c.is_default ? ' (default)' : '') }),
    el('dl', { class: 'stats' },
      stat('Schedulers active', activeSchedulers + ' / ' + schedulers.length,
        'schedulers-active', { 'data-active': activeSchedulers, 'data-total': schedulers.length }),
      stat('Peers active', activePeers + ' / ' + peers.length, 'peers-active',
        { 'data-active': activePeers, 'data-total': peers.length }),
      stat('Tasks', totals.tasks, 'tasks'),
      stat('Cache used', bytes(totals.cacheUsed), 'cache-used', { 'data-bytes': totals.cacheUsed }),
      stat('Cache free', totals.cacheFree !== null ? bytes(totals.cacheFree) : '-', 'cache-free',
        { 'data-bytes': totals.cacheFree,
          title: 'what the peers\' caches can still take: their quotas, or the disk left' }),
      stat('Config version', c.config_version, 'config-version')),
    el('h2', { text: 'Transfer rate, last hour' }),
    rateChart(series, c.id),
    el('div', { class: 'charts' },
      el('div', {}, el('h2', { text: 'Stat and export latency' }), latencyChart(series, c.id)),
      el('div', {}, el('h2', { text: 'Pieces failed' }), failedChart(series, c.id))));
}
