import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { installBrowser } from './fake-browser.mjs';
import { el, table } from '../../main/resources/console/js/dom.js';
import { auditDetail, auditsTable } from '../../main/resources/console/js/pages/audits.js';
import { componentsTable, configPatch, parseValue, refusedField, versionCells }
  from '../../main/resources/console/js/pages/config.js';
import { jobsTable, jobStateClass } from '../../main/resources/console/js/pages/jobs.js';
import { heldText, PEER_HEADERS, peersTable } from '../../main/resources/console/js/pages/peers.js';
import { schedulersTable } from '../../main/resources/console/js/pages/schedulers.js';
import { holdersTable, TASK_HEADERS, taskRows, tasksPath }
  from '../../main/resources/console/js/pages/tasks.js';
import { tokenRequest } from '../../main/resources/console/js/pages/tokens.js';

/** The text of each cell of each body row. */
const cells = (tableEl) => tableEl.byTag('tbody')[0].children
  .map((tr) => tr.children.map((td) => td.textContent));

installBrowser(); // the tables only build elements: one fake document for all

describe('el and table', () => {
  it('a value goes in as text, never as markup', () => {
    const td = el('td', { text: '<img src=x onerror=alert(1)>' });
    assert.equal(td.textContent, '<img src=x onerror=alert(1)>');
    assert.equal(td.children.length, 0);
    const p = el('p', {}, 'a ', '<b>b</b>', null, undefined, 3);
    assert.equal(p.textContent, 'a <b>b</b>3');
    assert.equal(p.children.length, 0);
  });

  it('null, undefined and false leave an attribute out; true sets it empty', () => {
    const input = el('input', { id: 'x', disabled: false, required: true, title: null, max: 0 });
    assert.deepEqual([...input.attributes], [['id', 'x'], ['required', ''], ['max', '0']]);
  });

  it('onX attributes are listeners, not attributes', () => {
    const clicked = [];
    const button = el('button', { onclick: () => clicked.push(1) });
    assert.equal(button.getAttribute('onclick'), null);
    button.listeners.click[0]();
    assert.deepEqual(clicked, [1]);
  });

  it('a table has its headers and rows, or says it is empty', () => {
    const t = table('things', ['A', 'B'], [el('tr', {}, el('td', { text: '1' }))], 'none');
    assert.equal(t.tagName, 'table');
    assert.equal(t.getAttribute('data-test'), 'things');
    assert.deepEqual(t.byTag('th').map((th) => th.textContent), ['A', 'B']);
    const empty = table('things', ['A', 'B'], [], 'No thing.');
    assert.equal(empty.tagName, 'p');
    assert.equal(empty.getAttribute('data-test'), 'things-empty');
    assert.equal(empty.textContent, 'No thing.');
  });
});

describe('tasks', () => {
  const task = { task_id: '0123456789abcdef0123', cid: '', tag: 'models', content_length: 2048,
    state: 'Succeeded', peer_count: 2, replica_count: 3, replicas_held: 2, expires_at: 0 };

  it('a task row: label linking to its page, size, peers, replicas, expiry', () => {
    const [row] = taskRows([task]);
    assert.equal(row.getAttribute('data-task-id'), task.task_id);
    assert.deepEqual(row.children.map((td) => td.textContent), ['0123456789abcdef...', 'models',
      '2.0 KiB', 'Succeeded', '2', '2 / 3', 'never']);
    assert.equal(row.children.length, TASK_HEADERS.length);
    assert.equal(row.byTest('task-link')[0].getAttribute('href'), '#/task/' + task.task_id);
  });

  it('a peer\'s task row has one more cell: how much it holds', () => {
    const [row] = taskRows([{ ...task, done: true }], (t) => el('td', { text: heldText(t) }));
    assert.equal(row.children.length, TASK_HEADERS.length + 1);
    assert.equal(row.children.at(-1).textContent, 'complete');
    assert.equal(heldText({ done: true }), 'complete');
    assert.equal(heldText({ done: false, pieces_held: 3, piece_count: 8 }), '3 / 8 pieces');
  });

  it('holders link to their peer when it is registered', () => {
    const t = { piece_count: 4, holders: [
      { peer_id: 'h1', hostname: 'node-1', ip: '10.0.0.1', idc: 'a', pieces: 4, done: true },
      { peer_id: 'h2', hostname: '', ip: '10.0.0.2', pieces: 1, done: false }] };
    const holders = holdersTable(t, new Map([['h1', 7]]));
    assert.deepEqual(cells(holders), [['node-1', '10.0.0.1', 'a', '4 / 4', 'yes'],
      ['h2', '10.0.0.2', '-', '1 / 4', 'downloading']]);
    assert.deepEqual(holders.byTag('a').map((a) => a.getAttribute('href')), ['#/peer/7']);
    assert.equal(holdersTable({ holders: [] }, new Map()).getAttribute('data-test'),
      'holders-table-empty');
  });

  it('the path of a tasks page: a search, or a page of 50, in the chosen cluster', () => {
    assert.equal(tasksPath('', '', '', 0), '/api/v1/tasks?page_size=50');
    assert.equal(tasksPath('', 'ignored', 'tok', 2),
      '/api/v1/tasks?page_size=50&page_token=tok&scheduler_cluster_id=2');
    assert.equal(tasksPath('a b&c', 'x/y', 'ignored', 0), '/api/v1/tasks?q=a%20b%26c&tag=x%2Fy');
    assert.equal(tasksPath('cid', '', '', 3), '/api/v1/tasks?q=cid&scheduler_cluster_id=3');
  });
});

describe('components', () => {
  const names = new Map([[1, 'default']]);

  it('schedulers: state, host, address, cluster name (or id), place, version', () => {
    const t = schedulersTable([{ id: 4, state: 'active', host_name: 's1', ip: '10.0.0.9',
      port: 8002, scheduler_cluster_id: 1, idc: '', location: '', version: '', last_keep_alive_at: 0 },
    { id: 5, state: 'inactive', host_name: 's2', ip: '10.0.0.8', port: 8002,
      scheduler_cluster_id: 9, version: '1.2', last_keep_alive_at: 0 }], names);
    assert.deepEqual(cells(t), [['active', 's1', '10.0.0.9:8002', 'default', '-', '-', 'never'],
      ['inactive', 's2', '10.0.0.8:8002', '9', '-', '1.2', 'never']]);
    assert.deepEqual(t.byTest('scheduler-row').map((r) => r.getAttribute('data-state')),
      ['active', 'inactive']);
  });

  it('peers: cache against quota and the rate between the last two samples', () => {
    const t = peersTable([{ id: 3, host_id: 'h3', state: 'active', host_name: 'p3', ip: '10.0.0.3',
      port: 65000, upload_port: 65002, scheduler_cluster_id: 1, cache_used: 1024,
      cache_capacity: 0, last_keep_alive_at: 0 }], names, new Map([['peer/3', { up: 2048, down: 0 }]]));
    const [row] = cells(t);
    assert.equal(row.length, PEER_HEADERS.length);
    assert.equal(row[2], '10.0.0.3:65000, 65002');
    assert.equal(row[7], '1.0 KiB / no quota');
    assert.equal(row[8], '2.0 KiB/s / 0 B/s');
    assert.equal(t.byTest('peer-link')[0].getAttribute('href'), '#/peer/3');
    assert.equal(peersTable([], names, new Map()).getAttribute('data-test'), 'peers-table-empty');
  });

  it('who runs which version: stale ones marked with the current version', () => {
    assert.deepEqual(versionCells(4, 4), { badge: 'active', text: '4', note: '' });
    assert.deepEqual(versionCells(3, 4), { badge: 'inactive', text: '3', note: ' (current: 4)' });
    assert.deepEqual(versionCells(0, 4), { badge: 'inactive', text: 'not reported', note: '' });
    const t = componentsTable([{ id: 1, host_name: 's', state: 'active', config_version: 4 }],
      [{ id: 2, host_name: 'p', state: 'active', config_version: 3 }], 4);
    assert.deepEqual(cells(t).map((r) => r.slice(0, 4)), [['scheduler', 's', 'active', '4'],
      ['peer', 'p', 'active', '3 (current: 4)']]);
    assert.deepEqual(t.byTest('config-component-row').map((r) => r.getAttribute('data-kind')),
      ['scheduler', 'peer']);
  });
});

describe('config form', () => {
  const cluster = { client_config: { load_limit: 50, upload_rate_limit: 0 }, config: {} };
  const typed = (object, key, raw) => ({ object, key, raw });

  it('sends only what changed; an emptied field removes its key', () => {
    assert.deepEqual(configPatch(cluster, [typed('client_config', 'load_limit', ' 50 '),
      typed('client_config', 'upload_rate_limit', '0'), typed('config', 'bad_parent_reporters', '')]),
    {});
    assert.deepEqual(configPatch(cluster, [typed('client_config', 'load_limit', ''),
      typed('client_config', 'upload_rate_limit', '1e6'), typed('config', 'candidate_parent_limit', '8')]),
    { client_config: { load_limit: null, upload_rate_limit: 1000000 },
      config: { candidate_parent_limit: 8 } });
  });

  it('a value that is not a number goes as typed, for the manager to refuse', () => {
    assert.equal(parseValue('12'), 12);
    assert.equal(parseValue('0.5'), 0.5);
    assert.equal(parseValue('lots'), 'lots');
    assert.equal(parseValue('Infinity'), 'Infinity');
    assert.deepEqual(configPatch(cluster, [typed('client_config', 'load_limit', 'ten')]),
      { client_config: { load_limit: 'ten' } });
  });

  it('finds the field a refusal names', () => {
    assert.deepEqual(refusedField('client_config.load_limit must be 1..10000'),
      { object: 'client_config', key: 'load_limit' });
    assert.deepEqual(refusedField('config.candidate_parent_limit: too big'),
      { object: 'config', key: 'candidate_parent_limit' });
    assert.equal(refusedField('the manager failed'), null);
    assert.equal(refusedField(undefined), null);
  });
});

describe('jobs, audits, tokens', () => {
  it('jobs: state badge, the task linked by its cid', () => {
    assert.equal(jobStateClass('SUCCESS'), 'state active');
    assert.equal(jobStateClass('FAILURE'), 'state inactive');
    assert.equal(jobStateClass('PENDING'), 'state ');
    const t = jobsTable([{ id: 9, type: 'delete_task', state: 'SUCCESS', progress: '2 of 2',
      user_name: 'root', args: { task_id: 'abc', cid: 'file.bin' }, created_at: 0, updated_at: 0 },
    { id: 8, type: 'other', state: 'FAILURE', progress: '', user_name: 'root', args: null }]);
    assert.deepEqual(cells(t).map((r) => r.slice(0, 6)), [
      ['9', 'delete_task', 'SUCCESS', 'file.bin', '2 of 2', 'root'],
      ['8', 'other', 'FAILURE', '-', '', 'root']]);
    assert.equal(t.byTag('a')[0].getAttribute('href'), '#/task/abc');
  });

  it('audits: a detail as text, cut at 160 characters (the whole as its tooltip)', () => {
    assert.deepEqual(auditDetail('short'), { full: 'short', shown: 'short' });
    assert.deepEqual(auditDetail({ a: 1 }), { full: '{"a":1}', shown: '{"a":1}' });
    const long = auditDetail('x'.repeat(200));
    assert.equal(long.shown, 'x'.repeat(160) + '...');
    assert.equal(long.full.length, 200);
    const t = auditsTable([{ at: 0, actor: 'root', action: 'PATCH', target: 'cluster 1',
      detail: 'y'.repeat(170) }]);
    const detailCell = t.byTag('td').at(-1);
    assert.equal(detailCell.getAttribute('title'), 'y'.repeat(170));
    assert.equal(detailCell.textContent.length, 163);
  });

  it('a token request: the name trimmed, days in seconds', () => {
    assert.deepEqual(tokenRequest(' ci ', '30'), { name: 'ci', expires_in_seconds: 2592000 });
    assert.deepEqual(tokenRequest('x', '0.5'), { name: 'x', expires_in_seconds: 43200 });
  });
});
