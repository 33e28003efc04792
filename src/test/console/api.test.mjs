import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { installBrowser } from './fake-browser.mjs';
import { api, ApiError, describe as describeError, errorMessage, onSessionExpired, SessionExpired,
  signOut } from '../../main/resources/console/js/api.js';
import * as session from '../../main/resources/console/js/session.js';

/** Answers every fetch with the given status and body; returns the calls made. */
function answer(status, body, statusText = '') {
  const calls = [];
  globalThis.fetch = async (path, init) => {
    calls.push({ path, init });
    return { status, ok: status >= 200 && status < 300, statusText,
      text: async () => body };
  };
  return calls;
}

describe('api', () => {
  const realFetch = globalThis.fetch;
  let expired;
  beforeEach(() => {
    installBrowser();
    expired = 0;
    onSessionExpired(() => expired++);
  });
  afterEach(() => {
    globalThis.fetch = realFetch;
  });

  it('sends the session\'s token and JSON, and returns the parsed answer', async () => {
    session.signedIn({ token: 'dfc_session_x' }, 'u');
    const calls = answer(200, '{"id":3}');
    assert.deepEqual(await api('PATCH', '/api/v1/x', { a: 1 }), { id: 3 });
    const { path, init } = calls[0];
    assert.equal(path, '/api/v1/x');
    assert.equal(init.method, 'PATCH');
    assert.equal(init.cache, 'no-store');
    assert.equal(init.headers.Authorization, 'Bearer dfc_session_x');
    assert.equal(init.headers['Content-Type'], 'application/json');
    assert.equal(init.body, '{"a":1}');
  });

  it('sends no token and no body when there is none', async () => {
    const calls = answer(204, '');
    assert.equal(await api('DELETE', '/api/v1/x'), null);
    assert.equal(calls[0].init.headers.Authorization, undefined);
    assert.equal(calls[0].init.body, undefined);
  });

  it('a refused token ends the session (SessionExpired), but a refused sign-in does not', async () => {
    answer(401, '{"message":"invalid token"}');
    await assert.rejects(api('GET', '/api/v1/peers'), SessionExpired);
    assert.equal(expired, 1);
    await assert.rejects(api('POST', '/api/v1/users/signin', {}),
      (e) => e instanceof ApiError && e.status === 401 && e.message === 'invalid token');
    assert.equal(expired, 1);
  });

  it('a refusal carries the API\'s message, or the start of a body that is not JSON', async () => {
    answer(400, '{"code":"invalid_argument","message":"load_limit must be 1..10000"}');
    await assert.rejects(api('GET', '/x'),
      (e) => e instanceof ApiError && e.status === 400 && e.message === 'load_limit must be 1..10000');
    answer(502, '<html>' + 'x'.repeat(500), 'Bad Gateway');
    await assert.rejects(api('GET', '/x'), (e) => e.status === 502 && e.message.length === 200);
    answer(503, '', 'Service Unavailable');
    await assert.rejects(api('GET', '/x'), (e) => e.message === 'Service Unavailable');
  });

  it('a manager that cannot be reached is status 0', async () => {
    globalThis.fetch = async () => {
      throw new TypeError('Failed to fetch');
    };
    await assert.rejects(api('GET', '/x'), (e) => e instanceof ApiError && e.status === 0
      && e.message === 'cannot reach the manager (Failed to fetch)');
  });

  it('signing out says whether the manager was told', async () => {
    const calls = answer(200, '');
    assert.equal(await signOut('tok'), 'signed out');
    assert.equal(calls[0].init.headers.Authorization, 'Bearer tok');
    globalThis.fetch = async () => {
      throw new TypeError('Failed to fetch');
    };
    assert.equal(await signOut('tok'),
      'signed out here; the manager could not be told (Failed to fetch)');
  });
});

describe('describe', () => {
  it('says what failed to a person', () => {
    assert.equal(describeError(new ApiError(0, 'cannot reach the manager (x)')),
      'cannot reach the manager (x)');
    assert.equal(describeError(new ApiError(500, 'boom')), 'the manager failed: boom (HTTP 500)');
    assert.equal(describeError(new ApiError(404, 'no such task')), 'no such task (HTTP 404)');
    assert.equal(describeError(new TypeError('x is undefined')),
      'the console failed: x is undefined');
    assert.equal(describeError('odd'), 'the console failed: odd');
  });

  it('errorMessage prefers the JSON message', () => {
    assert.equal(errorMessage('{"message":"m"}', { message: 'm' }, 'Bad'), 'm');
    assert.equal(errorMessage('plain', null, 'Bad'), 'plain');
    assert.equal(errorMessage('', null, ''), 'no answer');
  });
});
