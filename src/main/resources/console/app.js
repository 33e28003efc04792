// dfcache manager console: a client of the REST API (/api/v1) like curl, served by the manager
// itself. No framework and no build step: ES modules the browser loads from the manager
// (js/: the API client, formats, metrics, charts, the router; js/pages/: one module per page).
// Every value from the API goes into the page as text (textContent, setAttribute), never as
// markup: a host name a component reported is not trusted to be harmless.
// This entry module wires them together and starts the page.

import { describe, onSessionExpired, SessionExpired, signOut } from './js/api.js';
import { hideBanner, showBanner } from './js/banner.js';
import { $, el } from './js/dom.js';
import { auditsPage } from './js/pages/audits.js';
import { configPage } from './js/pages/config.js';
import { jobsPage } from './js/pages/jobs.js';
import { overviewPage } from './js/pages/overview.js';
import { peerPage, peersPage } from './js/pages/peers.js';
import { schedulersPage } from './js/pages/schedulers.js';
import { signinPage } from './js/pages/signin.js';
import { taskPage, tasksPage } from './js/pages/tasks.js';
import { tokensPage } from './js/pages/tokens.js';
import { expire, go, startRouter } from './js/router.js';
import * as session from './js/session.js';

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

function notFoundPage(view) {
  view.append(el('h1', { text: 'No such page' }),
    el('p', {}, el('a', { href: '#/overview', text: 'Back to the overview' })));
}

function start() {
  onSessionExpired(expire);
  $('signout').addEventListener('click', async () => {
    // the manager ends the session, so the token stops working everywhere; the page signs
    // out whatever the answer (a manager that is down cannot be asked)
    const token = session.token();
    session.forget();
    if (token) {
      session.setFlash(await signOut(token));
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
  startRouter(PAGES, notFoundPage);
}

start();
