// The schedulers every cluster has registered.

import { api, clusterNames } from '../api.js';
import { el, stateBadge, table, timeCell } from '../dom.js';
import { place } from '../format.js';
import { every, isCurrent } from '../router.js';

export const SCHEDULER_HEADERS = ['State', 'Host', 'Address', 'Cluster', 'IDC / location',
  'Version', 'Last keep-alive'];

export function schedulersPage(view, arg, gen) {
  const box = el('div', { id: 'schedulers' });
  view.append(el('h1', { text: 'Schedulers' }), box);
  every(gen, async () => {
    const [rows, names] = await Promise.all([api('GET', '/api/v1/schedulers'), clusterNames()]);
    if (!isCurrent(gen)) {
      return;
    }
    box.replaceChildren(schedulersTable(rows, names));
  });
}

export function schedulersTable(rows, names) {
  return table('schedulers-table', SCHEDULER_HEADERS,
    rows.map((r) => el('tr', { 'data-test': 'scheduler-row', 'data-state': r.state,
      'data-id': r.id },
      el('td', {}, stateBadge(r.state)),
      el('td', { text: r.host_name }),
      el('td', { text: r.ip + ':' + r.port }),
      el('td', { text: names.get(r.scheduler_cluster_id) || r.scheduler_cluster_id }),
      el('td', { text: place(r) }),
      el('td', { text: r.version || '-' }),
      timeCell(r.last_keep_alive_at))),
    'No scheduler has registered yet (start one with --manager).');
}
