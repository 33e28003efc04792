// Sign-in: name and password for a session token (kept for the tab), or the manager's refusal.

import { api, ApiError, describe } from '../api.js';
import { hideBanner } from '../banner.js';
import { el } from '../dom.js';
import { go } from '../router.js';
import * as session from '../session.js';

export function signinPage(view) {
  hideBanner();
  const message = el('p', { id: 'signin-message', class: 'message', role: 'status',
    text: session.takeFlash() });
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
      session.signedIn(r, name.value);
      go('#/overview');
    } catch (e) {
      message.textContent = e instanceof ApiError && e.status === 401 ? e.message : describe(e);
    } finally {
      submit.disabled = false;
    }
  });
  view.append(form);
}
