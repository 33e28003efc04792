// The audit log: every change, newest first.

import { api } from '../api.js';
import { el, table } from '../dom.js';
import { when } from '../format.js';
import { isCurrent, once } from '../router.js';

const DETAIL_CHARS = 160;

export function auditsPage(view, arg, gen) {
  const box = el('div', { id: 'audits' });
  view.append(el('h1', { text: 'Audit log' }),
    el('p', { class: 'hint', text: 'Every change, newest first (the last 200).' }), box);
  once(gen, async () => {
    const rows = await api('GET', '/api/v1/audits?limit=200');
    if (!isCurrent(gen)) {
      return;
    }
    box.replaceChildren(auditsTable(rows));
  });
}

/** An entry's detail as text (the API gives text or JSON) and as shown: cut at 160 characters. */
export function auditDetail(detail) {
  const full = typeof detail === 'string' ? detail : JSON.stringify(detail);
  return { full, shown: full.length > DETAIL_CHARS ? full.slice(0, DETAIL_CHARS) + '...' : full };
}

export function auditsTable(rows) {
  return table('audits-table', ['When', 'Who', 'Action', 'Target', 'Detail'],
    rows.map((a) => {
      const detail = auditDetail(a.detail);
      return el('tr', { 'data-test': 'audit-row', 'data-action': a.action },
        el('td', { title: new Date(a.at).toISOString(), text: when(a.at) }),
        el('td', { text: a.actor }),
        el('td', { text: a.action }),
        el('td', { text: a.target }),
        el('td', { class: 'detail', title: detail.full, text: detail.shown }));
    }),
    'Nothing has changed yet.');
}
