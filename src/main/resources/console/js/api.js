// The client of the manager's REST API (/api/v1): the session's token on every call, JSON in and
// out, and every failure as an ApiError a page can show (or SessionExpired, already handled).

import * as session from './session.js';

const SIGNIN = '/api/v1/users/signin';

/** A refusal or failure of a call; status 0 when the manager could not be reached. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** The token was refused: the page has already gone back to sign-in. */
export class SessionExpired extends Error {}

let expired = () => {}; // set by the entry module: back to sign-in

/** What to do when the manager refuses the session's token (a 401 on any call but sign-in). */
export function onSessionExpired(handler) {
  expired = handler;
}

/** The message of a failed answer: the API's JSON message, else the start of the body. */
export function errorMessage(text, data, statusText) {
  return data && typeof data.message === 'string' ? data.message
    : (text ? text.slice(0, 200) : statusText || 'no answer');
}

export async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  const token = session.token();
  if (token) {
    headers.Authorization = 'Bearer ' + token;
  }
  const init = { method, headers, cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, 'cannot reach the manager (' + (e && e.message ? e.message : e) + ')');
  }
  const text = await res.text().catch(() => '');
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch (notJson) {
    data = null; // a proxy's error page, say: shown as text below
  }
  if (res.status === 401 && path !== SIGNIN) {
    expired();
    throw new SessionExpired('session expired');
  }
  if (!res.ok) {
    throw new ApiError(res.status, errorMessage(text, data, res.statusText));
  }
  return data;
}

/** What a failure says to a person. */
export function describe(e) {
  if (e instanceof ApiError) {
    if (e.status === 0) {
      return e.message;
    }
    if (e.status >= 500) {
      return 'the manager failed: ' + e.message + ' (HTTP ' + e.status + ')';
    }
    return e.message + ' (HTTP ' + e.status + ')';
  }
  return 'the console failed: ' + (e && e.message ? e.message : String(e));
}

/**
 * Ends the session at the manager, so the token stops working everywhere. Returns what to tell
 * the user; never throws (a manager that is down cannot be asked, the page signs out anyway).
 */
export async function signOut(token) {
  try {
    await fetch('/api/v1/users/signout', { method: 'POST', cache: 'no-store',
      headers: { Authorization: 'Bearer ' + token } });
    return 'signed out';
  } catch (e) {
    return 'signed out here; the manager could not be told (' + e.message + ')';
  }
}

export function clusters() {
  return api('GET', '/api/v1/scheduler-clusters');
}

/** Cluster names by id, for tables that show a component's cluster. */
export async function clusterNames() {
  return new Map((await clusters()).map((c) => [c.id, c.name]));
}
