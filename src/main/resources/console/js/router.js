// Pages by the URL's hash (#/NAME/ARG), and their refresh. Every page change starts a new
// generation: the answers and timers of an older page see that they are stale and drop out.

import * as session from './session.js';
import { $ } from './dom.js';
import { fail, hideBanner } from './banner.js';

export const REFRESH_MS = 5000;

let pages = {};
let notFound = () => {};
let generation = 0;
let timer = null; // the current page's refresh

/** The page a hash names and its argument: "#/task/abc" is {name: 'task', arg: 'abc'}. */
export function parseHash(hash) {
  const path = hash.replace(/^#\/?/, '') || 'overview';
  const slash = path.indexOf('/');
  return {
    name: slash < 0 ? path : path.slice(0, slash),
    arg: slash < 0 ? undefined : path.slice(slash + 1),
  };
}

/** The navigation entry a page belongs to (a task's page is under Tasks). */
export function sectionOf(name) {
  return { task: 'tasks', peer: 'peers' }[name] || name;
}

/** Whether a page of that generation is still the one shown. */
export function isCurrent(gen) {
  return gen === generation;
}

/** Goes to a hash; to the same one again re-draws the page. */
export function go(hash) {
  if (location.hash === hash) {
    route();
  } else {
    location.hash = hash; // hashchange routes
  }
}

/** Back to sign-in with the reason, when the manager refused the session's token. */
export function expire() {
  if (!session.token()) {
    return; // another call of the same page was refused first: already on the way out
  }
  session.forget();
  session.setFlash('session expired, sign in again');
  go('#/signin');
}

/** Runs a page's load now and every REFRESH_MS while the page is shown. */
export function every(gen, load) {
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
export async function once(gen, load) {
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

/** Shows the page of the current hash: page(view, arg, generation) by name, or notFound. */
export function route() {
  generation++;
  clearInterval(timer);
  timer = null;
  const { name, arg } = parseHash(location.hash);
  if (!session.token() && name !== 'signin') {
    go('#/signin');
    return;
  }
  const signedIn = name !== 'signin';
  $('top').hidden = !signedIn;
  $('whoami').textContent = signedIn ? session.userName() + ' (' + session.role() + ')' : '';
  const section = sectionOf(name);
  for (const a of document.querySelectorAll('#nav a')) {
    a.classList.toggle('current', a.dataset.page === section);
  }
  const view = $('view');
  view.replaceChildren();
  view.setAttribute('data-page', name);
  (Object.hasOwn(pages, name) ? pages[name] : notFound)(view, arg, generation);
}

/** Routes now and at every hash change. */
export function startRouter(pageTable, notFoundPage) {
  pages = pageTable;
  notFound = notFoundPage;
  window.addEventListener('hashchange', route);
  route();
}
