// Building the page: plain DOM calls, text only (textContent, setAttribute), never markup: a host
// name a component reported is not trusted to be harmless. `document` is used inside the functions
// only, so node can import the modules built on this one.

import { ago } from './format.js';

const SVG = 'http://www.w3.org/2000/svg';

export const $ = (id) => document.getElementById(id);

/** An element with attributes (text: its text; onX: a listener) and children (text or nodes). */
export function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  setAll(e, attrs);
  for (const kid of kids.flat()) {
    if (kid !== null && kid !== undefined) {
      e.append(kid instanceof Node ? kid : String(kid));
    }
  }
  return e;
}

export function svg(tag, attrs) {
  const e = document.createElementNS(SVG, tag);
  setAll(e, attrs);
  return e;
}

/** null, undefined and false leave an attribute out; true sets it empty. */
export function setAll(e, attrs) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) {
      continue;
    }
    if (k === 'text') {
      e.textContent = String(v);
    } else if (k.startsWith('on')) {
      e.addEventListener(k.slice(2), v);
    } else {
      e.setAttribute(k, v === true ? '' : String(v));
    }
  }
}

/** A table of rows under headers, or a "{testId}-empty" paragraph when there is no row. */
export function table(testId, headers, rows, emptyText) {
  if (rows.length === 0) {
    return el('p', { class: 'empty', 'data-test': testId + '-empty', text: emptyText });
  }
  return el('table', { 'data-test': testId },
    el('thead', {}, el('tr', {}, headers.map((h) => el('th', { text: h })))),
    el('tbody', {}, rows));
}

export function stateBadge(state) {
  return el('span', { class: 'state ' + state, 'data-test': 'state', text: state });
}

/** One figure of a stats list: label and value (its dd carries testId and attrs). */
export function stat(label, value, testId, attrs) {
  return el('div', {},
    el('dt', { text: label }),
    el('dd', Object.assign({ 'data-test': testId, text: value }, attrs || {})));
}

/** A cell saying how long ago, the exact time as its tooltip. */
export function timeCell(ms) {
  return el('td', { title: ms ? new Date(ms).toISOString() : null, text: ago(ms) });
}
