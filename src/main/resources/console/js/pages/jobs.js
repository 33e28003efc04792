// Jobs: the work the schedulers carried out for the manager, and one job followed to its end.

import { api } from '../api.js';
import { fail } from '../banner.js';
import { el, table, timeCell } from '../dom.js';
import { taskLabel } from '../format.js';
import { every, isCurrent } from '../router.js';

export const JOB_HEADERS = ['Id', 'Type', 'State', 'Task', 'Progress', 'By', 'Started', 'Updated'];

/** The badge class of a job's state: done is active, failed inactive, the rest plain. */
export function jobStateClass(state) {
  return 'state ' + (state === 'SUCCESS' ? 'active' : state === 'FAILURE' ? 'inactive' : '');
}

export function jobsPage(view, arg, gen) {
  const box = el('div', { id: 'jobs' });
  view.append(el('h1', { text: 'Jobs' }),
    el('p', { class: 'hint', text: 'Work the schedulers carried out for the manager, newest '
      + 'first. Delete a task from its page.' }), box);
  every(gen, async () => {
    const rows = await api('GET', '/api/v1/jobs?limit=100');
    if (!isCurrent(gen)) {
      return;
    }
    box.replaceChildren(jobsTable(rows));
  });
}

export function jobsTable(rows) {
  return table('jobs-table', JOB_HEADERS, rows.map((j) => el('tr', { 'data-test': 'job-row',
    'data-state': j.state, 'data-id': j.id },
  el('td', { text: j.id }),
  el('td', { text: j.type }),
  el('td', {}, el('span', { class: jobStateClass(j.state), text: j.state })),
  el('td', {}, j.args && j.args.task_id ? el('a', { href: '#/task/' + j.args.task_id,
    text: taskLabel(j.args) }) : '-'),
  el('td', { text: j.progress }),
  el('td', { text: j.user_name }),
  timeCell(j.created_at),
  timeCell(j.updated_at))), 'No job yet.');
}

/** Shows a job's state and progress in box until it ends (polled every second). */
export function followJob(job, box, gen) {
  const show = (j) => box.replaceChildren(el('section', { class: 'card' },
    el('h2', { text: 'Job ' + j.id + ': ' + j.type.replace('_', ' ') }),
    el('p', { id: 'job-status', 'data-state': j.state, 'data-job-id': j.id,
      class: j.state === 'SUCCESS' ? 'ok' : j.state === 'FAILURE' ? 'error' : 'running' },
    el('strong', { text: j.state }), ': ', el('span', { text: j.progress }))));
  show(job);
  const poll = async () => {
    if (!isCurrent(gen)) {
      return;
    }
    try {
      const j = await api('GET', '/api/v1/jobs/' + job.id);
      show(j);
      if (j.state === 'SUCCESS' || j.state === 'FAILURE') {
        return;
      }
    } catch (e) {
      fail(e);
    }
    setTimeout(poll, 1000);
  };
  setTimeout(poll, 500);
}
