// The error banner over the page: a failure shows there, over the last data, until a call of the
// page succeeds again or the user dismisses it.

import { describe, SessionExpired } from './api.js';
import { $ } from './dom.js';

export function showBanner(text) {
  $('error-text').textContent = text;
  $('error-banner').hidden = false;
}

export function hideBanner() {
  $('error-banner').hidden = true;
}

/** Shows a failure (a refused session has already gone back to sign-in: nothing to show). */
export function fail(e) {
  if (!(e instanceof SessionExpired)) {
    showBanner(describe(e));
  }
}
