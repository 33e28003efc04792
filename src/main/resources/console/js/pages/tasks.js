// Tasks: the tasks a cluster's schedulers know, a page at a time or found by cid, and one task
// with its holders (where a root user deletes it across the network).

import { api, ApiError, clusters } from '../api.js';
import { fail } from '../banner.js';
import { el, stat, table } from '../dom.js';
import { bytes, place, replicasText, taskLabel, when } from '../format.js';
import { every, go, isCurrent, route } from '../router.js';
import * as session from '../session.js';
import { followJob } from './jobs.js';

let taskCluster = 0; // the cluster the tasks pages look at (0 = the default one)
let tagFilter = ''; // the tag of the last search

export const TASK_HEADERS = ['CID', 'Tag', 'Size', 'State', 'Peers', 'Replicas held / wanted',
  'Expires'];

/** The query naming the cluster the tasks pages look at ('' for the default one). */
export function clusterQuery(cluster = taskCluster) {
  return cluster ? 'scheduler_cluster_id=' + cluster : '';
}

/**
 * The API path of a tasks page: a search for query (and tag) when there is one, else a page of
 * 50 from pageToken.
 */
export function tasksPath(query, tag, pageToken, cluster = taskCluster) {
  const cq = clusterQuery(cluster);
  return query
    ? '/api/v1/tasks?q=' + encodeURIComponent(query)
      + (tag ? '&tag=' + encodeURIComponent(tag) : '') + (cq ? '&' + cq : '')
    : '/api/v1/tasks?page_size=50' + (pageToken ? '&page_token=' + pageToken : '')
      + (cq ? '&' + cq : '');
}

/** A row per task under TASK_HEADERS; extra(t) adds a cell. */
export function taskRows(tasks, extra) {
  return tasks.map((t) => el('tr', { 'data-test': 'task-row', 'data-task-id': t.task_id },
    el('td', {}, el('a', { href: '#/task/' + t.task_id, 'data-test': 'task-link',
      text: taskLabel(t) })),
    el('td', { text: t.tag || '-' }),
    el('td', { class: 'num', text: bytes(t.content_length) }),
    el('td', { text: t.state }),
    el('td', { class: 'num', text: t.peer_count }),
    el('td', { class: 'num', text: replicasText(t) }),
    el('td', { text: t.expires_at ? when(t.expires_at) : 'never' }),
    extra ? extra(t) : null));
}

export function tasksPage(view, arg, gen) {
  const query = arg ? decodeURIComponent(arg) : '';
  const search = el('input', { id: 'task-search', name: 'q', value: query,
    placeholder: 'cid or task id', autocomplete: 'off' });
  const tag = el('input', { id: 'task-tag', name: 'tag', placeholder: 'tag (optional)' });
  const form = el('form', { id: 'task-search-form', class: 'card search' },
    el('label', { for: 'task-search', text: 'Find a task by cid (or part of one) or task id' }),
    search, ' ', tag, ' ',
    el('button', { id: 'task-search-submit', type: 'submit', text: 'Search' }),
    query ? el('a', { href: '#/tasks', class: 'clear', text: 'show all' }) : null);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const q = search.value.trim();
    tagFilter = tag.value.trim();
    go(q ? '#/tasks/' + encodeURIComponent(q) : '#/tasks');
  });
  tag.value = tagFilter;
  const box = el('div', { id: 'tasks' }, el('p', { class: 'empty', text: 'loading...' }));
  const clusterChoice = el('span', {});
  view.append(el('h1', { text: 'Tasks' }), form, clusterChoice, box);
  clusters().then((all) => {
    if (all.length < 2 || !isCurrent(gen)) {
      return; // one cluster: nothing to choose
    }
    const current = taskCluster || (all.find((c) => c.is_default) || all[0]).id;
    const select = el('select', { id: 'tasks-cluster' }, all.map((c) => el('option',
      { value: c.id, selected: c.id === current, text: c.name })));
    select.addEventListener('change', () => {
      taskCluster = Number(select.value);
      route();
    });
    clusterChoice.replaceChildren(el('label', { for: 'tasks-cluster',
      text: 'Scheduler cluster' }), select);
  }).catch(fail);
  let pageToken = '';
  const tokens = []; // the tokens of the pages before, for "previous"
  async function load() {
    const r = await api('GET', tasksPath(query, tagFilter, pageToken));
    if (!isCurrent(gen)) {
      return;
    }
    const nav = [];
    if (!query && tokens.length > 0) {
      nav.push(el('button', { type: 'button', class: 'secondary', id: 'tasks-prev',
        text: 'Previous', onclick: () => { pageToken = tokens.pop(); load().catch(fail); } }));
    }
    if (!query && r.next_page_token) {
      nav.push(el('button', { type: 'button', class: 'secondary', id: 'tasks-next',
        text: 'Next', onclick: () => { tokens.push(pageToken); pageToken = r.next_page_token;
          load().catch(fail); } }));
    }
    box.replaceChildren(table('tasks-table', TASK_HEADERS, taskRows(r.tasks),
      query ? 'No task matches "' + query + '".' : 'No peer holds any task.'),
    query && r.complete === false ? el('p', { class: 'hint',
      text: 'Only the first tasks of the cluster were searched; give more of the cid.' }) : null,
    el('p', {}, nav));
  }
  every(gen, load);
}

export function taskPage(view, arg, gen) {
  const taskId = arg || '';
  const box = el('div', { id: 'task' }, el('p', { class: 'empty', text: 'loading...' }));
  const jobBox = el('div', { id: 'task-job' });
  view.append(el('h1', {}, 'Task ', el('code', { text: taskId })), box, jobBox);
  let deleting = false;
  every(gen, async () => {
    let t;
    let peers;
    try {
      [t, peers] = await Promise.all([
        api('GET', '/api/v1/tasks/' + encodeURIComponent(taskId)
          + (clusterQuery() ? '?' + clusterQuery() : '')),
        api('GET', '/api/v1/peers')]);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404 && isCurrent(gen)) {
        box.replaceChildren(el('p', { class: 'empty', 'data-test': 'task-gone',
          text: 'No peer holds this task (any more).' }));
        return;
      }
      throw e;
    }
    if (!isCurrent(gen)) {
      return;
    }
    const holders = holdersTable(t, new Map(peers.map((p) => [p.host_id, p.id])));
    box.replaceChildren(el('section', { class: 'card' },
      el('dl', { class: 'stats' },
        stat('CID', t.cid || '-', 'task-cid'),
        stat('Tag', t.tag || '-', 'task-tag'),
        stat('Size', bytes(t.content_length), 'task-size', { 'data-bytes': t.content_length }),
        stat('Pieces', t.piece_count + ' x ' + bytes(t.piece_size || 0), 'task-pieces'),
        stat('State', t.state, 'task-state'),
        stat('Holders', t.holders.length, 'task-holders', { 'data-count': t.holders.length }),
        stat('Replicas held / wanted', replicasText(t, 'no target'), 'task-replicas'),
        stat('Expires', t.expires_at ? when(t.expires_at) : 'never', 'task-expires')),
      el('h2', { text: 'Holders' }), holders,
      session.mayWrite() && !deleting ? deleteControls(t) : null));
  });

  function deleteControls(t) {
    const confirm = el('button', { id: 'task-delete-confirm', type: 'button', hidden: true,
      class: 'danger', text: 'Delete from all ' + t.holders.length + ' holder(s)' });
    const cancel = el('button', { id: 'task-delete-cancel', type: 'button', hidden: true,
      class: 'secondary', text: 'Cancel' });
    const start = el('button', { id: 'task-delete', type: 'button', class: 'danger',
      text: 'Delete across the network' });
    start.addEventListener('click', () => {
      start.hidden = true;
      confirm.hidden = false;
      cancel.hidden = false;
    });
    cancel.addEventListener('click', () => {
      start.hidden = false;
      confirm.hidden = true;
      cancel.hidden = true;
    });
    confirm.addEventListener('click', async () => {
      confirm.disabled = true;
      deleting = true;
      try {
        const job = await api('POST', '/api/v1/jobs', { type: 'delete_task',
          args: { task_id: t.task_id },
          scheduler_cluster_id: taskCluster || undefined });
        confirm.closest('p').remove();
        followJob(job, jobBox, gen);
      } catch (e) {
        deleting = false;
        confirm.disabled = false;
        fail(e);
      }
    });
    return el('p', { class: 'actions' }, start, ' ', confirm, ' ', cancel);
  }
}

/** A task's holders; a holder that is a registered peer links to its page (peerIds: host id -> peer id). */
export function holdersTable(t, peerIds) {
  return table('holders-table', ['Peer', 'Address', 'IDC / location', 'Pieces', 'Complete'],
    t.holders.map((h) => el('tr', { 'data-test': 'holder-row',
      'data-peer-id': h.peer_id, 'data-done': String(h.done) },
    el('td', {}, peerIds.has(h.peer_id)
      ? el('a', { href: '#/peer/' + peerIds.get(h.peer_id), text: h.hostname || h.peer_id })
      : h.hostname || h.peer_id),
    el('td', { text: h.ip }),
    el('td', { text: place(h) }),
    el('td', { class: 'num', text: h.pieces + ' / ' + t.piece_count }),
    el('td', { text: h.done ? 'yes' : 'downloading' }))), 'No holder.');
}
