import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { installBrowser } from './fake-browser.mjs';
import { expire, isCurrent, parseHash, route, sectionOf, startRouter }
  from '../../main/resources/console/js/router.js';
import * as session from '../../main/resources/console/js/session.js';

describe('parseHash', () => {
  it('names the page and its argument', () => {
    assert.deepEqual(parseHash('#/task/abc'), { name: 'task', arg: 'abc' });
    assert.deepEqual(parseHash('#/peers'), { name: 'peers', arg: undefined });
    assert.deepEqual(parseHash('#signin'), { name: 'signin', arg: undefined });
  });

  it('is the overview without a page', () => {
    for (const hash of ['', '#', '#/']) {
      assert.deepEqual(parseHash(hash), { name: 'overview', arg: undefined }, hash);
    }
  });

  it('keeps the rest of the path, still encoded, as the argument', () => {
    assert.deepEqual(parseHash('#/tasks/a%2Fb%20c'), { name: 'tasks', arg: 'a%2Fb%20c' });
    assert.deepEqual(parseHash('#/peer/7/more'), { name: 'peer', arg: '7/more' });
  });

  it('a task and a peer are under their lists in the navigation', () => {
    assert.equal(sectionOf('task'), 'tasks');
    assert.equal(sectionOf('peer'), 'peers');
    assert.equal(sectionOf('jobs'), 'jobs');
  });
});

describe('route', () => {
  let browser;
  let shown;
  beforeEach(() => {
    browser = installBrowser();
    browser.page('top', 'whoami', 'view', 'error-banner', 'error-text');
    shown = [];
    const page = (name) => (view, arg, gen) => shown.push({ name, arg, gen });
    startRouter({ signin: page('signin'), task: page('task'), overview: page('overview') },
      page('not found'));
  });

  it('sends a browser without a session to sign-in, header hidden', () => {
    browser.location.hash = '#/task/abc';
    route();
    assert.equal(browser.location.hash, '#/signin');
    browser.windowListeners.hashchange.forEach((l) => l());
    assert.equal(shown.at(-1).name, 'signin');
    assert.equal(document.getElementById('top').hidden, true);
  });

  it('shows the page the hash names with its argument, and who is signed in', () => {
    session.signedIn({ token: 't', name: 'root', role: 'root' }, 'typed');
    browser.location.hash = '#/task/abc';
    route();
    assert.deepEqual(shown.at(-1).name, 'task');
    assert.equal(shown.at(-1).arg, 'abc');
    assert.equal(document.getElementById('whoami').textContent, 'root (root)');
    assert.equal(document.getElementById('view').getAttribute('data-page'), 'task');
    assert.equal(document.getElementById('top').hidden, false);
  });

  it('an unknown name, even one every object has, is not found', () => {
    session.signedIn({ token: 't' }, 'typed');
    for (const hash of ['#/nope', '#/constructor', '#/__proto__']) {
      browser.location.hash = hash;
      route();
      assert.equal(shown.at(-1).name, 'not found', hash);
    }
  });

  it('a page change makes the older page\'s answers stale', () => {
    session.signedIn({ token: 't' }, 'typed');
    browser.location.hash = '#/overview';
    route();
    const first = shown.at(-1).gen;
    assert.equal(isCurrent(first), true);
    route();
    assert.equal(isCurrent(first), false);
    assert.equal(isCurrent(shown.at(-1).gen), true);
  });

  it('an expired session goes back to sign-in once, with the reason', () => {
    session.signedIn({ token: 't', name: 'u' }, 'typed');
    browser.location.hash = '#/overview';
    expire();
    expire(); // a second call refused on the same page: already on the way out
    assert.equal(browser.location.hash, '#/signin');
    assert.equal(session.token(), null);
    assert.equal(session.takeFlash(), 'session expired, sign in again');
    assert.equal(session.takeFlash(), '', 'said once');
  });
});

describe('session', () => {
  beforeEach(() => installBrowser());

  it('without a role the user is read-only (an older manager)', () => {
    session.signedIn({ token: 't' }, 'typed');
    assert.equal(session.userName(), 'typed');
    assert.equal(session.role(), 'readonly');
    assert.equal(session.mayWrite(), false);
    session.signedIn({ token: 't', name: 'admin', role: 'root' }, 'typed');
    assert.equal(session.userName(), 'admin');
    assert.equal(session.mayWrite(), true);
  });
});
