// Personal access tokens: create one (shown once), list and revoke them.

import { api, describe, SessionExpired } from '../api.js';
import { el, table } from '../dom.js';
import { when } from '../format.js';
import { isCurrent, once } from '../router.js';

export function tokensPage(view, arg, gen) {
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

  /** A failure shows under the form (a refused session has gone back to sign-in). */
  function showError(e) {
    if (!(e instanceof SessionExpired)) {
      error.textContent = describe(e);
      error.hidden = false;
    }
  }

  async function load() {
    const rows = await api('GET', '/api/v1/personal-access-tokens');
    if (!isCurrent(gen)) {
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
      showError(e);
    }
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.hidden = true;
    create.disabled = true;
    try {
      const t = await api('POST', '/api/v1/personal-access-tokens', tokenRequest(name.value,
        days.value));
      created.replaceChildren(
        el('p', { text: 'Token "' + t.name + '" created. Copy it now: it is not shown again.' }),
        el('code', { id: 'token-value', class: 'token', text: t.token }));
      created.hidden = false;
      name.value = '';
      await load();
    } catch (e) {
      showError(e);
    } finally {
      create.disabled = false;
    }
  });
  once(gen, load);
}

/** The body that asks for a token: its name, and its life in seconds from the days typed. */
export function tokenRequest(name, days) {
  return { name: name.trim(), expires_in_seconds: Math.round(Number(days) * 86400) };
}
