// Cluster configuration: a form for the cluster's client_config and config keys (the manager
// checks the values; the console shows what it refused, next to the field it names), and which
// configuration version each component runs.

import { api, ApiError, clusters, describe, SessionExpired } from '../api.js';
import { fail, hideBanner } from '../banner.js';
import { $, el, stateBadge, table, timeCell } from '../dom.js';
import { every, go, isCurrent, once } from '../router.js';
import * as session from '../session.js';

// the keys the manager accepts (dev.dfcache.dynconfig.ClientConfig and SchedulerConfig)
export const CLIENT_KEYS = [
  ['upload_rate_limit', 'Upload rate limit', 'bytes/s, 0 = none'],
  ['download_rate_limit', 'Download rate limit', 'bytes/s, 0 = none'],
  ['load_limit', 'Load limit', 'piece uploads served at once, 1..10000'],
  ['gc_high_watermark', 'GC high watermark', 'fraction of the cache, (0, 1]'],
  ['gc_low_watermark', 'GC low watermark', 'fraction, below the high watermark'],
  ['default_ttl_seconds', 'Default TTL', 'seconds, 0 = no TTL'],
  ['default_replica_count', 'Default replica count', 'copies, 1..64'],
];
export const SCHEDULER_KEYS = [
  ['candidate_parent_limit', 'Candidate parent limit', 'parents per download, 1..64'],
  ['default_upload_limit', 'Default upload limit', 'uploads a host serves at once, 1..10000'],
  ['bad_parent_reporters', 'Bad parent reporters', 'hosts whose reports quarantine a parent, 1..100'],
];

/** A typed value: a number when it reads as one, else the text (the manager names the key). */
export function parseValue(raw) {
  const n = Number(raw);
  return Number.isFinite(n) ? n : raw;
}

/**
 * The PATCH body for what was typed ({object, key, raw} each) against the cluster as loaded:
 * only the keys that changed; an empty field is null (removes the key). Empty when nothing did.
 */
export function configPatch(cluster, fields) {
  const patch = {};
  for (const f of fields) {
    const raw = f.raw.trim();
    const value = raw === '' ? null : parseValue(raw);
    const before = (cluster[f.object] || {})[f.key];
    if (value !== (before === undefined ? null : before)) {
      (patch[f.object] = patch[f.object] || {})[f.key] = value; // null removes the key
    }
  }
  return patch;
}

/** The field a refusal names, e.g. "client_config.load_limit must be ...": {object, key} or null. */
export function refusedField(message) {
  const named = /\b(client_config|config)\.([a-z_]+)/.exec(message || '');
  return named ? { object: named[1], key: named[2] } : null;
}

export function configPage(view, arg, gen) {
  view.append(el('h1', { text: 'Cluster configuration' }));
  const box = el('div', { id: 'config' });
  view.append(box);
  once(gen, async () => {
    const all = await clusters();
    if (!isCurrent(gen)) {
      return;
    }
    if (all.length === 0) {
      box.replaceChildren(el('p', { class: 'empty', text: 'No scheduler cluster.' }));
      return;
    }
    const wanted = arg ? Number(arg) : (all.find((c) => c.is_default) || all[0]).id;
    const cluster = all.find((c) => c.id === wanted);
    if (!cluster) {
      throw new ApiError(404, 'scheduler cluster ' + arg + ' not found');
    }
    const select = el('select', { id: 'config-cluster' },
      all.map((c) => el('option', { value: c.id, selected: c.id === cluster.id,
        text: c.name })));
    select.addEventListener('change', () => go('#/config/' + select.value));
    box.replaceChildren(el('label', { for: 'config-cluster', text: 'Scheduler cluster' }),
      select, configForm(cluster), componentVersions(cluster, gen));
  });
}

function configForm(initial) {
  let cluster = initial;
  const mayWrite = session.mayWrite();
  const inputs = [];
  const status = el('p', { id: 'config-status', class: 'ok', role: 'status', hidden: true });
  const error = el('p', { id: 'config-error', class: 'error', role: 'alert', hidden: true });

  const fieldset = (object, title, keys) => el('fieldset', { 'data-test': 'fieldset-' + object },
    el('legend', { text: title }),
    keys.map(([key, label, hint]) => {
      const id = 'cfg-' + object + '-' + key;
      const input = el('input', { id, name: key, 'data-object': object, 'data-key': key,
        inputmode: 'decimal', placeholder: 'not set', disabled: !mayWrite });
      const err = el('span', { id: 'err-' + object + '-' + key, class: 'field-error',
        'data-test': 'field-error' });
      inputs.push({ object, key, input, err });
      return el('div', { class: 'field' },
        el('label', { for: id, text: label + ' (' + key + ')' }), input,
        el('span', { class: 'hint', text: ' ' + hint }), err);
    }));

  function fill() {
    for (const f of inputs) {
      const v = (cluster[f.object] || {})[f.key];
      f.input.value = v === undefined || v === null ? '' : String(v);
      f.input.removeAttribute('aria-invalid');
      f.err.textContent = '';
    }
  }

  const form = el('form', { id: 'config-form', class: 'card' },
    el('p', { class: 'hint', text: 'An empty field removes the key: each component then uses '
      + 'its own flag or config file. Changes reach the components within a keep-alive (3 s).' }),
    fieldset('client_config', 'Peers (client_config)', CLIENT_KEYS),
    fieldset('config', 'Schedulers (config)', SCHEDULER_KEYS),
    el('p', { id: 'config-version', 'data-version': cluster.config_version,
      text: 'Configuration version ' + cluster.config_version }),
    mayWrite ? el('button', { id: 'config-save', type: 'submit', text: 'Save' })
      : el('p', { id: 'config-readonly', class: 'hint',
        text: 'You are signed in read-only: the configuration is shown, not editable.' }),
    status, error);
  fill();

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!mayWrite) {
      return;
    }
    status.hidden = true;
    error.hidden = true;
    for (const f of inputs) {
      f.input.removeAttribute('aria-invalid');
      f.err.textContent = '';
    }
    const patch = configPatch(cluster, inputs.map((f) => ({ object: f.object, key: f.key,
      raw: f.input.value })));
    if (Object.keys(patch).length === 0) {
      status.textContent = 'Nothing changed.';
      status.hidden = false;
      return;
    }
    const save = $('config-save');
    save.disabled = true;
    try {
      cluster = await api('PATCH', '/api/v1/scheduler-clusters/' + cluster.id, patch);
      fill();
      $('config-version').textContent = 'Configuration version ' + cluster.config_version;
      $('config-version').setAttribute('data-version', cluster.config_version);
      status.textContent = 'Saved: configuration version ' + cluster.config_version;
      status.setAttribute('data-version', cluster.config_version);
      status.hidden = false;
      hideBanner();
    } catch (e) {
      if (e instanceof SessionExpired) {
        return;
      }
      error.textContent = e instanceof ApiError && e.status === 400 ? e.message : describe(e);
      error.hidden = false;
      const named = refusedField(e.message);
      const field = named && inputs.find((f) => f.object === named.object && f.key === named.key);
      if (field) {
        field.input.setAttribute('aria-invalid', 'true');
        field.err.textContent = e.message;
        field.input.focus();
      }
      if (!(e instanceof ApiError) || e.status === 0 || e.status >= 500) {
        fail(e);
      }
    } finally {
      save.disabled = false;
    }
  });
  return form;
}

/** The text of a component's configuration version against the cluster's current one. */
export function versionCells(runs, current) {
  return {
    badge: runs === current ? 'active' : 'inactive',
    text: runs ? String(runs) : 'not reported',
    note: runs && runs !== current ? ' (current: ' + current + ')' : '',
  };
}

/** The components of a cluster and the configuration version each runs with, refreshed. */
function componentVersions(cluster, gen) {
  const box = el('div', { id: 'config-components' });
  every(gen, async () => {
    const [schedulers, peers, c] = await Promise.all([
      api('GET', '/api/v1/schedulers?scheduler_cluster_id=' + cluster.id),
      api('GET', '/api/v1/peers?scheduler_cluster_id=' + cluster.id),
      api('GET', '/api/v1/scheduler-clusters/' + cluster.id)]);
    if (!isCurrent(gen)) {
      return;
    }
    box.replaceChildren(componentsTable(schedulers, peers, c.config_version));
  });
  return el('section', { class: 'card' }, el('h2', { text: 'Who runs which version' }),
    el('p', { class: 'hint', text: 'Each scheduler and peer says with every keep-alive which '
      + 'configuration version it runs; "picked up" is when that changed.' }), box);
}

export function componentsTable(schedulers, peers, current) {
  const rows = schedulers.map((r) => ['scheduler', r]).concat(peers.map((r) => ['peer', r]));
  return table('config-components-table', ['Component', 'Host', 'State', 'Runs version',
    'Picked up'], rows.map(([kind, r]) => {
    const version = versionCells(r.config_version, current);
    return el('tr', { 'data-test': 'config-component-row', 'data-kind': kind, 'data-id': r.id,
      'data-version': r.config_version },
    el('td', { text: kind }),
    el('td', { text: r.host_name }),
    el('td', {}, stateBadge(r.state)),
    el('td', {}, el('span', { class: 'state ' + version.badge, text: version.text }), version.note),
    timeCell(r.config_applied_at));
  }), 'No component in this cluster.');
}
