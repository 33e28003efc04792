// The little of a browser the console's modules use (document, Node, sessionStorage, location,
// window events), enough for node to build and inspect their elements. Not a DOM: what a test
// needs beyond this belongs in ConsoleIT (headless Chromium).

class FakeNode {
  constructor() {
    this.childNodes = [];
    this.parentNode = null;
  }

  append(...kids) {
    for (const kid of kids) {
      const node = kid instanceof FakeNode ? kid : new FakeText(String(kid));
      node.remove();
      node.parentNode = this;
      this.childNodes.push(node);
    }
  }

  replaceChildren(...kids) {
    for (const kid of [...this.childNodes]) {
      kid.remove();
    }
    this.append(...kids);
  }

  remove() {
    if (this.parentNode) {
      const siblings = this.parentNode.childNodes;
      siblings.splice(siblings.indexOf(this), 1);
      this.parentNode = null;
    }
  }

  get textContent() {
    return this.childNodes.map((n) => n.textContent).join('');
  }

  set textContent(text) {
    this.replaceChildren(String(text));
  }
}

class FakeText extends FakeNode {
  constructor(data) {
    super();
    this.data = data;
  }

  get textContent() {
    return this.data;
  }
}

class FakeElement extends FakeNode {
  constructor(tagName, namespaceURI) {
    super();
    this.tagName = tagName;
    this.namespaceURI = namespaceURI;
    this.attributes = new Map();
    this.listeners = {};
    this.dataset = {};
    this.hidden = false;
    this.classList = { toggle: (cls, on) => this.setAttribute('class', on ? cls : '') };
  }

  setAttribute(name, value) {
    this.attributes.set(name, String(value));
  }

  getAttribute(name) {
    return this.attributes.has(name) ? this.attributes.get(name) : null;
  }

  removeAttribute(name) {
    this.attributes.delete(name);
  }

  addEventListener(type, listener) {
    (this.listeners[type] = this.listeners[type] || []).push(listener);
  }

  /** The child elements (text left out). */
  get children() {
    return this.childNodes.filter((n) => n instanceof FakeElement);
  }

  /** Every element below, depth first, that the predicate accepts. */
  findAll(accept) {
    const found = [];
    for (const child of this.children) {
      if (accept(child)) {
        found.push(child);
      }
      found.push(...child.findAll(accept));
    }
    return found;
  }

  byTag(tagName) {
    return this.findAll((e) => e.tagName === tagName);
  }

  byTest(testId) {
    return this.findAll((e) => e.getAttribute('data-test') === testId);
  }
}

class FakeStorage {
  constructor() {
    this.items = new Map();
  }

  getItem(key) {
    return this.items.has(key) ? this.items.get(key) : null;
  }

  setItem(key, value) {
    this.items.set(key, String(value));
  }

  clear() {
    this.items.clear();
  }
}

/** Puts a fresh fake browser in the globals; returns it (document, elements by id, ...). */
export function installBrowser() {
  const byId = new Map();
  const document = {
    createElement: (tag) => new FakeElement(tag, 'http://www.w3.org/1999/xhtml'),
    createElementNS: (ns, tag) => new FakeElement(tag, ns),
    getElementById: (id) => byId.get(id) || null,
    querySelectorAll: () => [],
  };
  const windowListeners = {};
  const browser = {
    document,
    sessionStorage: new FakeStorage(),
    location: { hash: '' },
    window: {
      addEventListener: (type, listener) =>
        (windowListeners[type] = windowListeners[type] || []).push(listener),
    },
    /** Adds an element the page's markup (index.html) has, by its id. */
    page(...ids) {
      for (const id of ids) {
        byId.set(id, new FakeElement('div', 'http://www.w3.org/1999/xhtml'));
      }
      return ids.map((id) => byId.get(id));
    },
    windowListeners,
  };
  Object.assign(globalThis, { document, Node: FakeNode, sessionStorage: browser.sessionStorage,
    location: browser.location, window: browser.window });
  return browser;
}
