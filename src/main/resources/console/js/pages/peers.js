// Peers: every registered dfdaemon with its cache and recent rates, and one peer's tasks.

import { api, clusterNames, clusters } from '../api.js';
import { el, stat, stateBadge, table, timeCell } from '../dom.js';
import { ago, cacheText, place, rateText } from '../format.js';
import { latestRates } from '../metrics.js';
import { every, isCurrent } from '../router.js';
import { TASK_HEADERS, taskRows } from './tasks.js';

export const PEER_HEADERS = ['State', 'Host', 'Address (gRPC, upload)', 'Cluster',
  'IDC / location', 'Version', 'Last keep-alive', 'Cache used / capacity',
  'Upload / download rate'];

/**
 * The rates of every cluster's components between their last two samples, if both are of the
 * last minute and a half (an older rate is no longer the component's).
 */
async function recentRates() {
  const all = await clusters();
  const since = Date.now() - 90 * 1000;
  const latest = await Promise.all(all.map((c) => api('GET', '/api/v1/clusters/' + c.id
    + '/metrics/latest?since=' + since)));
  return latestRates(latest.flatMap((l) => l.latest));
}

export function peersPage(view, arg, gen) {
  const box = el('div', { id: 'peers' });
  view.append(el('h1', { text: 'Peers' }), box);
  every(gen, async () => {
    const [rows, names, rates] = await Promise.all([api('GET', '/api/v1/peers'),
      clusterNames(), recentRates()]);
    if (!isCurrent(gen)) {
      return;
    }
    box.replaceChildren(peersTable(rows, names, rates));
  });
}

/** names: cluster id -> name; rates: "peer/ID" -> {up, down}. */
export function peersTable(rows, names, rates) {
  return table('peers-table', PEER_HEADERS,
    rows.map((r) => el('tr', { 'data-test': 'peer-row', 'data-state': r.state,
      'data-id': r.id, 'data-host-id': r.host_id },
      el('td', {}, stateBadge(r.state)),
      el('td', {}, el('a', { href: '#/peer/' + r.id, 'data-test': 'peer-link',
        text: r.host_name })),
      el('td', { text: r.ip + ':' + r.port + ', ' + r.upload_port }),
      el('td', { text: names.get(r.scheduler_cluster_id) || r.scheduler_cluster_id }),
      el('td', { text: place(r) }),
      el('td', { text: r.version || '-' }),
      timeCell(r.last_keep_alive_at),
      el('td', { class: 'num', text: cacheText(r.cache_used, r.cache_capacity) }),
      el('td', { class: 'num', 'data-test': 'peer-rates',
        text: rateText(rates.get('peer/' + r.id)) }))),
    'No peer has registered yet (start dfdaemon with --manager).');
}

/** How much of a task a peer holds. */
export function heldText(t) {
  return t.done ? 'complete' : t.pieces_held + ' / ' + t.piece_count + ' pieces';
}

export function peerPage(view, arg, gen) {
  const id = Number(arg);
  const head = el('div', { id: 'peer' }, el('p', { class: 'empty', text: 'loading...' }));
  const box = el('div', { id: 'peer-tasks' });
  view.append(el('h1', { text: 'Peer' }), head, el('h2', { text: 'Tasks it holds' }), box);
  every(gen, async () => {
    const [peers, held, rates] = await Promise.all([api('GET', '/api/v1/peers'),
      api('GET', '/api/v1/peers/' + id + '/tasks'), recentRates()]);
    if (!isCurrent(gen)) {
      return;
    }
    const p = peers.find((r) => r.id === id);
    head.replaceChildren(el('section', { class: 'card' }, el('dl', { class: 'stats' },
      stat('Host', p.host_name, 'peer-host'),
      stat('State', p.state, 'peer-state'),
      stat('Address', p.ip + ':' + p.port, 'peer-address'),
      stat('Cache used', cacheText(p.cache_used, p.cache_capacity), 'peer-cache'),
      stat('Last keep-alive', ago(p.last_keep_alive_at), 'peer-keepalive'),
      stat('Upload / download rate', rateText(rates.get('peer/' + id)), 'peer-rates'),
      stat('Host id', p.host_id, 'peer-host-id'))));
    box.replaceChildren(table('peer-tasks-table', TASK_HEADERS.concat(['Held here']),
      taskRows(held.tasks, (t) => el('td', { text: heldText(t) }))
        .map((row) => { row.setAttribute('data-test', 'peer-task-row'); return row; }),
      'This peer holds no task.'),
    held.complete === false ? el('p', { class: 'hint',
      text: 'Only the first tasks of the cluster were looked through.' }) : null);
  });
}
