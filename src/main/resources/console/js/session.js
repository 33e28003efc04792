// The signed-in user, kept in sessionStorage (one tab's session, gone when the tab closes), and a
// message for the next sign-in page. Storage is looked up at each call, never at import: node's
// tests import the modules that use this one without a browser.

const TOKEN = 'dfcache.token';
const USER = 'dfcache.user';
const ROLE = 'dfcache.role';

let flash = ''; // a message for the next sign-in page

export function token() {
  return sessionStorage.getItem(TOKEN);
}

export function userName() {
  return sessionStorage.getItem(USER);
}

export function role() {
  return sessionStorage.getItem(ROLE);
}

/** Whether the user may change things (the API decides anyway: this only hides controls). */
export function mayWrite() {
  return role() === 'root';
}

/** Keeps what a sign-in answered. */
export function signedIn(answer, typedName) {
  sessionStorage.setItem(TOKEN, answer.token);
  sessionStorage.setItem(USER, answer.name || typedName);
  // without a role (an older manager) the edit controls stay hidden: the API decides anyway
  sessionStorage.setItem(ROLE, answer.role || 'readonly');
}

export function forget() {
  sessionStorage.clear();
}

export function setFlash(text) {
  flash = text;
}

/** The message for the sign-in page, once. */
export function takeFlash() {
  const text = flash;
  flash = '';
  return text;
}
