// Vigil web console: one page that reads Vigil's JSON API (/api/v1) with the session cookie set at
// login. Pages are chosen by the URL fragment (#overview, #backups, #backup/<id>, #drills, #runs,
// #actions). Elements are built with the DOM API, never from HTML strings, so catalog values
// (source names, failure reasons) cannot inject markup.
import uPlot from '/console/lib/uplot/1.6.30/dist/uPlot.esm.js';

const WATCHED = 'vigil.console.watched';
const HOUR = 3600_000;
/** A source without an RPO objective: the daily report calls it STALE after 24 h. */
const DEFAULT_RPO_MILLIS = 24 * HOUR;

const state = { session: null, timer: null, renders: 0 };
const main = document.getElementById('main');

class ApiFailure extends Error {
  constructor(status, body) {
    super(body && body.message ? body.message : `the server answered ${status}`);
    this.status = status;
    this.code = body && body.code;
  }
}

async function api(path, { method = 'GET', body } = {}) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET') {
    headers['Content-Type'] = 'application/json';
    headers['X-Vigil-Csrf'] = state.session.csrfToken;
  }
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
  });
  if (response.status === 401) {
    location.assign('/console/login');
    throw new ApiFailure(401, { message: 'the session has ended; log in again' });
  }
  const text = await response.text();
  const json = text ? JSON.parse(text) : null;
  if (!response.ok) {
    throw new ApiFailure(response.status, json);
  }
  return json;
}

/** h('td', {class: 'num'}, 'text', child, ...): an element; null/false children are skipped. */
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name === 'class') element.className = value;
    else element.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

const link = (href, text) => h('a', { href }, text);

function bytes(value) {
  if (value === null || value === undefined) return '';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let amount = value;
  let unit = 0;
  while (amount >= 1024 && unit < units.length - 1) {
    amount /= 1024;
    unit += 1;
  }
  return `${amount.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

function duration(millis) {
  if (millis === null || millis === undefined) return '';
  const seconds = millis / 1000;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  if (seconds < 3600) {
    const rest = Math.round(seconds % 60);
    return `${Math.floor(seconds / 60)} min${rest ? ` ${rest} s` : ''}`;
  }
  if (seconds < 172800) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} d`;
}

function when(instant) {
  if (!instant) return '';
  const date = new Date(instant);
  return h('time', { datetime: instant, title: instant }, date.toISOString().replace('T', ' ').slice(0, 19) + ' UTC');
}

const between = (from, to) => (from && to ? Date.parse(to) - Date.parse(from) : null);

function badge(text, tone) {
  return h('span', { class: `badge ${tone}` }, text);
}

function statusBadge(status) {
  const tone = {
    ARCHIVED: 'ok', COMPLETE: 'ok', COMPLETED: 'ok', PASSED: 'ok', OK: 'ok', ACTIVE: 'ok',
    RUNNING: 'info', PAUSED: 'warn', STALE: 'warn', PARTIAL: 'warn', PRUNED: 'warn',
  }[status] || 'bad';
  return badge(status, tone);
}

function table(headers, rows, caption) {
  return h('table', {},
    caption ? h('caption', { class: 'muted' }, caption) : null,
    h('thead', {}, h('tr', {}, headers.map((header) =>
      h('th', { scope: 'col', class: header.endsWith(' ') ? 'num' : null }, header.trim())))),
    h('tbody', {}, rows));
}

function show(...content) {
  main.replaceChildren(...content.flat().filter((child) => child !== null && child !== undefined && child !== false));
}

function failure(error) {
  return h('p', { class: 'error', role: 'alert' }, error.message);
}

/** The watched runs (started from this console tab or followed), newest first. */
function watched() {
  return JSON.parse(sessionStorage.getItem(WATCHED) || '[]');
}

function watch(workflowId) {
  const list = [workflowId, ...watched().filter((id) => id !== workflowId)].slice(0, 10);
  sessionStorage.setItem(WATCHED, JSON.stringify(list));
}

function temporalLink(run) {
  const ui = state.session.temporalUiUrl;
  if (!ui || !run.runId) return null;
  const href = `${ui}/namespaces/${encodeURIComponent(state.session.namespace)}/workflows/`
    + `${encodeURIComponent(run.workflowId)}/${encodeURIComponent(run.runId)}/history`;
  return h('a', { href, target: '_blank', rel: 'noopener' }, 'Open in the Temporal UI');
}

// ---------------------------------------------------------------------------------- overview

/** A small uPlot line of stored sizes over time (no axes); text when there are too few points. */
function sparkline(points) {
  if (points.length < 2) {
    return h('span', { class: 'muted' }, points.length ? 'one backup' : 'no backup');
  }
  const holder = h('span', {
    class: 'spark',
    role: 'img',
    'aria-label': `stored size of the last ${points.length} backups: ${points.map((p) => bytes(p[1])).join(', ')}`,
  });
  queueMicrotask(() => new uPlot({
    width: 140, height: 36,
    legend: { show: false }, cursor: { show: false }, select: { show: false },
    axes: [{ show: false }, { show: false }],
    scales: { x: { time: false } },
    series: [{}, { stroke: '#0b5cad', width: 1.5, points: { show: false } }],
  }, [points.map((_, index) => index), points.map((p) => p[1])], holder));
  return holder;
}

async function overview(params, paint) {
  const [report, backups, drills] = await Promise.all([
    api('/api/v1/reports/daily'),
    api('/api/v1/backups?since=30d&limit=1000'),
    api('/api/v1/drills?limit=200'),
  ]);
  const now = Date.parse(report.asOf);
  // The report lists the sources that have backups; a configured source without one is failing.
  const reported = new Set(report.sources.map((source) => source.source));
  const sources = [...report.sources, ...state.session.sources.filter((name) => !reported.has(name))
    .map((name) => ({ source: name, kind: '', outcome: 'NEVER', lastSuccessAt: null, storedBytes: null }))];
  const rows = sources.map((source) => {
    const archived = backups
      .filter((backup) => backup.source === source.source && backup.status === 'ARCHIVED')
      .sort((a, b) => Date.parse(a.finishedAt) - Date.parse(b.finishedAt));
    const lastVerified = archived[archived.length - 1];
    const drill = drills.find((d) => d.components.some((c) => c.source === source.source));
    const component = drill && drill.components.find((c) => c.source === source.source);
    const rpo = state.session.rpoObjectiveMillis[source.source] || DEFAULT_RPO_MILLIS;
    const age = source.lastSuccessAt ? now - Date.parse(source.lastSuccessAt) : null;
    const overRpo = age === null || age > rpo;
    const overRto = component && component.rtoObjectiveMillis > 0 && component.rtoMillis > component.rtoObjectiveMillis;
    const drillFailed = component && !component.passed;
    const failing = ['FAILED', 'NEVER'].includes(source.outcome) || overRpo || overRto || drillFailed;
    return { source, archived, lastVerified, drill, component, rpo, age, overRpo, overRto, failing };
  });
  rows.sort((a, b) => (b.failing - a.failing) || a.source.source.localeCompare(b.source.source));
  const failingCount = rows.filter((row) => row.failing).length;
  paint(
    h('h1', {}, 'Overview'),
    h('p', { class: 'summary', id: 'overview-summary' },
      `${rows.length} sources, `,
      failingCount ? h('span', { class: 'over' }, `${failingCount} need attention`) : 'all green',
      ` (as of `, when(report.asOf), ')'),
    table(['Source', 'State', 'Last verified backup', 'Age / RPO', 'Stored size (30 d)', 'Last drill', 'RTO / objective'],
      rows.map((row) => h('tr', { 'data-source': row.source.source, class: row.failing ? 'failing' : null },
        h('th', { scope: 'row' }, row.source.source, h('div', { class: 'muted' }, row.source.kind)),
        h('td', {}, row.failing ? badge('attention', 'bad') : badge('ok', 'ok'), ' ', statusBadge(row.source.outcome)),
        h('td', {}, row.lastVerified
          ? [link(`#backup/${encodeURIComponent(row.lastVerified.backupId)}`, row.lastVerified.backupId),
            h('div', { class: 'muted' }, when(row.lastVerified.finishedAt))]
          : h('span', { class: 'over' }, 'none')),
        h('td', { class: row.overRpo ? 'over' : null }, row.age === null ? 'never' : duration(row.age), ' / ', duration(row.rpo)),
        h('td', {}, sparkline(row.archived.map((b) => [Date.parse(b.finishedAt), b.storedBytes])),
          h('div', { class: 'muted' }, bytes(row.source.storedBytes))),
        h('td', {}, row.drill
          ? [statusBadge(row.component.passed ? 'PASSED' : 'FAILED'), ' ', link('#drills', row.drill.drillId),
            h('div', { class: 'muted' }, when(row.drill.finishedAt))]
          : h('span', { class: 'muted' }, 'never drilled')),
        h('td', { class: row.overRto ? 'over' : null }, row.component
          ? `${duration(row.component.rtoMillis)} / ${row.component.rtoObjectiveMillis > 0 ? duration(row.component.rtoObjectiveMillis) : 'none'}`
          : '')))));
}

// ----------------------------------------------------------------------------------- backups

async function backups(params, paint) {
  const source = params.get('source') || '';
  const status = params.get('status') || '';
  const since = params.get('since') || '7d';
  const query = new URLSearchParams({ since, limit: '200' });
  if (source) query.set('source', source);
  if (status) query.set('status', status);
  const [list, sets] = await Promise.all([
    api(`/api/v1/backups?${query}`),
    api('/api/v1/backup-sets?limit=20'),
  ]);
  const form = h('form', { class: 'filters', 'aria-label': 'Filter backups' },
    h('div', {}, h('label', { for: 'filter-source' }, 'Source'),
      h('select', { id: 'filter-source', name: 'source' },
        h('option', { value: '' }, 'all'),
        state.session.sources.map((name) => h('option', { value: name, selected: name === source }, name)))),
    h('div', {}, h('label', { for: 'filter-status' }, 'Status'),
      h('select', { id: 'filter-status', name: 'status' },
        ['', 'ARCHIVED', 'RUNNING', 'FAILED', 'PRUNED'].map((value) =>
          h('option', { value, selected: value === status }, value || 'any')))),
    h('div', {}, h('label', { for: 'filter-since' }, 'Since (30m, 24h, 7d, 2w or a time)'),
      h('input', { id: 'filter-since', name: 'since', value: since, size: 12 })),
    h('button', { type: 'submit' }, 'Filter'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const chosen = new URLSearchParams();
    for (const [name, value] of new FormData(form)) if (value) chosen.set(name, value);
    location.hash = `backups?${chosen}`;
  });
  paint(
    h('h1', {}, 'Backups'),
    form,
    table(['Backup', 'Source', 'Status', 'Started', 'Took ', 'Raw ', 'Stored ', 'Class', 'By'],
      list.map((backup) => h('tr', { 'data-backup': backup.backupId },
        h('td', {}, link(`#backup/${encodeURIComponent(backup.backupId)}`, backup.backupId)),
        h('td', {}, backup.source, h('div', { class: 'muted' }, backup.kind)),
        h('td', {}, statusBadge(backup.status)),
        h('td', {}, when(backup.startedAt)),
        h('td', { class: 'num' }, duration(between(backup.startedAt, backup.finishedAt))),
        h('td', { class: 'num' }, bytes(backup.rawBytes)),
        h('td', { class: 'num' }, bytes(backup.storedBytes)),
        h('td', {}, backup.storageClass || ''),
        h('td', {}, backup.triggeredBy || ''))),
      `${list.length} backups`),
    h('h2', {}, 'Backup sets'),
    table(['Set', 'Plan', 'Status', 'Started', 'Took ', 'Archived ', 'By'],
      sets.map((set) => h('tr', {},
        h('td', {}, set.setId),
        h('td', {}, set.plan),
        h('td', {}, statusBadge(set.status)),
        h('td', {}, when(set.startedAt)),
        h('td', { class: 'num' }, duration(between(set.startedAt, set.finishedAt))),
        h('td', { class: 'num' }, `${set.archivedCount} / ${set.sourceCount}`),
        h('td', {}, set.triggeredBy || '')))));
}

/** Entries of a backup's manifest shown per page: a 20,000-file backup is paged, never drawn whole. */
const MANIFEST_PAGE = 50;

async function backup(id, paint) {
  const path = `/api/v1/backups/${encodeURIComponent(id)}`;
  const [item, first] = await Promise.all([api(path), api(`${path}/manifest?limit=${MANIFEST_PAGE}`)]);
  const fields = [
    ['Source', `${item.source} (${item.kind})`],
    ['Status', statusBadge(item.status)],
    ['Backup set', item.setId],
    ['Repository', item.repository],
    ['Started', when(item.startedAt)],
    ['Finished', when(item.finishedAt)],
    ['Took', duration(between(item.startedAt, item.finishedAt))],
    ['Consistent at', when(item.consistentAt)],
    ['Raw size', bytes(item.rawBytes)],
    ['Stored size', bytes(item.storedBytes)],
    ['SHA-256 of the stored object', h('code', { id: 'backup-sha256' }, item.sha256 || '')],
    ['Object', h('code', {}, item.bucket && item.objectKey ? `${item.bucket}/${item.objectKey}` : '')],
    ['Storage class', item.storageClass],
    ['Warnings', item.warnings.length ? h('ul', {}, item.warnings.map((w) => h('li', {}, w))) : 'none'],
    ['Failure', item.failureType ? `${item.failureType}: ${item.failureReason}` : 'none'],
    ['Triggered by', item.triggeredBy],
    ['Run', item.workflowId
      ? h('button', { type: 'button', onclick: () => { watch(item.workflowId); location.hash = 'runs'; } }, `Follow ${item.workflowId}`)
      : ''],
  ];
  const contents = h('section', { id: 'manifest', 'aria-live': 'polite' });
  paint(
    h('h1', {}, `Backup ${item.backupId}`),
    h('p', {}, link('#backups', '← all backups')),
    h('dl', { class: 'fields' }, fields.map(([name, value]) => [h('dt', {}, name), h('dd', {}, value ?? '')])),
    h('h2', {}, 'Steps'),
    first.steps.length
      ? table(['Step', 'Started', 'Took '],
        first.steps.map((step) => h('tr', { 'data-step': step.step },
          h('td', {}, step.step),
          h('td', {}, when(step.startedAt)),
          h('td', { class: 'num' }, duration(step.durationMillis)))),
        `${first.steps.length} steps, ${duration(first.steps.reduce((sum, step) => sum + step.durationMillis, 0))} in all (queueing and retries included)`)
      : h('p', { class: 'muted', id: 'no-steps' }, 'No step timings recorded for this backup (failed, or made before the catalog recorded them).'),
    contents);
  manifestPage(path, first, contents, paint);
}

/** The backup's files or tables, one page at a time, filtered by part of a name. */
function manifestPage(path, page, into, paint) {
  const load = async (filter, offset) => {
    const query = new URLSearchParams({ offset: String(offset), limit: String(MANIFEST_PAGE) });
    if (filter) query.set('filter', filter);
    try {
      const next = await api(`${path}/manifest?${query}`);
      if (paint.current()) manifestPage(path, next, into, paint);
    } catch (error) {
      if (paint.current()) into.replaceChildren(failure(error));
    }
  };
  if (page.contents === 'none') {
    into.replaceChildren(h('h2', {}, 'Contents'),
      h('p', { class: 'muted', id: 'manifest-none' },
        'The catalog lists no files or tables for this backup (a physical or non-SQL dump, or a backup made before it recorded them); its manifest object in the repository has what it holds.'));
    return;
  }
  const tables = page.contents === 'tables';
  const form = h('form', { class: 'filters', 'aria-label': `Filter ${page.contents}` },
    h('div', {}, h('label', { for: 'manifest-filter' }, tables ? 'Table name contains' : 'Path contains'),
      h('input', { id: 'manifest-filter', name: 'filter', value: page.filter || '', size: 30 })),
    h('button', { type: 'submit' }, 'Filter'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    load(new FormData(form).get('filter'), 0);
  });
  const last = Math.min(page.offset + page.entries.length, page.matching);
  const rows = page.entries.map((entry) => h('tr', { 'data-entry': entry.name },
    h('td', {}, h('code', {}, entry.name)),
    tables
      ? h('td', { class: 'num' }, entry.rows === null ? '' : entry.rows.toLocaleString('en'))
      : [h('td', {}, entry.type),
        h('td', { class: 'num' }, entry.type === 'file' ? bytes(entry.sizeBytes) : ''),
        h('td', {}, h('code', {}, entry.sha256 || ''))]));
  into.replaceChildren(
    h('h2', {}, tables ? 'Tables' : 'Files'),
    form,
    table(tables ? ['Table', 'Rows at backup '] : ['Path', 'Type', 'Size ', 'SHA-256'], rows),
    h('p', { class: 'pager' },
      h('button', { type: 'button', id: 'manifest-previous', disabled: page.offset === 0,
        onclick: () => load(page.filter, Math.max(0, page.offset - page.limit)) }, '← previous'),
      ' ',
      h('span', { id: 'manifest-count' },
        page.matching === 0
          ? `none of ${page.entryCount} ${page.contents} match`
          : `${page.offset + 1}–${last} of ${page.matching}${page.filter ? ` matching (${page.entryCount} in all)` : ''} ${page.contents}`),
      ' ',
      h('button', { type: 'button', id: 'manifest-next', disabled: last >= page.matching,
        onclick: () => load(page.filter, page.offset + page.limit) }, 'next →')));
}

// ------------------------------------------------------------------------------------ drills

/**
 * One chart per measure (RTO or worst RPO) of a plan's drills, oldest first, one point per drill,
 * with the plan's objective as a dashed line: separate charts, so an RTO of seconds is not flattened
 * by an RPO objective of days.
 */
function drillChart(plan, drills, measure) {
  const ordered = [...drills].filter((d) => d.finishedAt).sort((a, b) => Date.parse(a.finishedAt) - Date.parse(b.finishedAt));
  const [value, objective] = measure === 'RTO' ? ['totalRtoMillis', 'rtoObjectiveMillis'] : ['worstRpoMillis', 'rpoObjectiveMillis'];
  const described = ordered.map((d) => `${d.drillId}: ${duration(d[value])}`).join(', ');
  const holder = h('figure', {
    class: 'card chart', id: `chart-${plan}-${measure}`, role: 'img',
    'aria-label': `${measure} of plan ${plan} per drill against the objective: ${described}`,
  }, h('figcaption', {}, `${measure} per drill against the objective`));
  const seconds = (millis) => (millis > 0 ? millis / 1000 : null);
  const data = [
    ordered.map((_, index) => index),
    ordered.map((d) => seconds(d[value])),
    ordered.map((d) => seconds(d[objective])),
  ];
  const label = (index) => (ordered[index] ? ordered[index].finishedAt.slice(0, 10) : '');
  queueMicrotask(() => new uPlot({
    width: Math.min(560, (main.clientWidth - 60) / 2), height: 200,
    scales: { x: { time: false, range: [-0.5, Math.max(ordered.length - 0.5, 0.5)] }, y: { range: (u, min, max) => [0, max * 1.15 || 1] } },
    series: [
      { label: 'drill', value: (u, index) => (index === null ? '' : label(index)) },
      { label: measure, stroke: '#0b5cad', width: 2, points: { show: true, size: 8 }, value: (u, v) => (v === null ? '' : duration(v * 1000)) },
      { label: `${measure} objective`, stroke: '#c62828', dash: [6, 4], width: 1.5, points: { show: true, size: 5 }, value: (u, v) => (v === null ? '' : duration(v * 1000)) },
    ],
    axes: [
      { incrs: [1], values: (u, values) => values.map((index) => label(index)) },
      { size: 70, values: (u, values) => values.map((v) => duration(v * 1000)) },
    ],
  }, data, holder));
  return holder;
}

function components(drill) {
  return table(['Source', 'Backup', 'Status', 'Restore ', 'RTO / objective', 'RPO / objective', 'Validation', 'Failures'],
    drill.components.map((c) => h('tr', {},
      h('td', {}, c.source, h('div', { class: 'muted' }, c.kind)),
      h('td', {}, link(`#backup/${encodeURIComponent(c.backupId)}`, c.backupId)),
      h('td', {}, statusBadge(c.passed ? 'PASSED' : c.status || 'FAILED')),
      h('td', { class: 'num' }, duration(c.restoreMillis)),
      h('td', { class: c.rtoObjectiveMillis > 0 && c.rtoMillis > c.rtoObjectiveMillis ? 'over' : null },
        `${duration(c.rtoMillis)} / ${c.rtoObjectiveMillis > 0 ? duration(c.rtoObjectiveMillis) : 'none'}`),
      h('td', { class: c.rpoObjectiveMillis > 0 && c.rpoMillis > c.rpoObjectiveMillis ? 'over' : null },
        `${duration(c.rpoMillis)} / ${c.rpoObjectiveMillis > 0 ? duration(c.rpoObjectiveMillis) : 'none'}`),
      h('td', {}, c.validation || ''),
      h('td', {}, c.failures.join('; ')))));
}

async function drills(params, paint) {
  const list = await api('/api/v1/drills?limit=200');
  const plans = [...new Set(list.map((d) => d.plan))].sort();
  paint(
    h('h1', {}, 'Drills'),
    list.length ? null : h('p', {}, 'No drill yet. Start one from ', link('#actions', 'Actions'), '.'),
    plans.map((plan) => {
      const ofPlan = list.filter((d) => d.plan === plan);
      return h('section', { 'aria-labelledby': `plan-${plan}` },
        h('h2', { id: `plan-${plan}` }, `Plan ${plan}`),
        h('div', { class: 'charts', id: `charts-${plan}` }, drillChart(plan, ofPlan, 'RTO'), drillChart(plan, ofPlan, 'RPO')),
        table(['Drill', 'Status', 'Started', 'RTO / objective', 'RPO / objective', 'Backup set', 'By'],
          ofPlan.map((d) => [
            h('tr', { 'data-drill': d.drillId },
              h('td', {}, d.drillId),
              h('td', {}, statusBadge(d.status)),
              h('td', {}, when(d.startedAt)),
              h('td', { class: d.rtoObjectiveMillis > 0 && d.totalRtoMillis > d.rtoObjectiveMillis ? 'over' : null },
                `${duration(d.totalRtoMillis)} / ${d.rtoObjectiveMillis > 0 ? duration(d.rtoObjectiveMillis) : 'none'}`),
              h('td', { class: d.rpoObjectiveMillis > 0 && d.worstRpoMillis > d.rpoObjectiveMillis ? 'over' : null },
                `${duration(d.worstRpoMillis)} / ${d.rpoObjectiveMillis > 0 ? duration(d.rpoObjectiveMillis) : 'none'}`),
              h('td', {}, d.setId || ''),
              h('td', {}, d.triggeredBy || '')),
            h('tr', {}, h('td', { colspan: 7 },
              h('details', {}, h('summary', {}, `Components of ${d.drillId} (${d.components.length})`),
                components(d),
                d.failures.length ? h('p', { class: 'error' }, d.failures.join('; ')) : null))),
          ])));
    }));
}

// -------------------------------------------------------------------------------------- runs

function activity(a) {
  const known = a.bytesDone !== null && a.bytesDone !== undefined;
  return h('li', { class: 'activity' },
    h('span', { class: 'mono' }, a.activityType), ' ', badge(a.state, 'info'),
    a.attempt > 1 ? h('span', { class: 'over' }, ` attempt ${a.attempt}`) : null,
    known ? [' ', h('progress', { max: a.bytesTotal || a.bytesDone || 1, value: a.bytesDone }),
      h('span', { class: 'bytes' }, ` ${bytes(a.bytesDone)}${a.bytesTotal ? ` of ${bytes(a.bytesTotal)}` : ''}`)] : null,
    a.lastFailure ? h('div', { class: 'error' }, `last failure: ${a.lastFailure}`) : null);
}

function run(status, top) {
  return h('div', { class: top ? 'card run' : 'run', 'data-run': status.workflowId },
    h(top ? 'h2' : 'h3', {}, h('span', { class: 'mono' }, status.workflowId), ' ',
      h('span', { class: 'run-state' }, statusBadge(status.state))),
    h('div', { class: 'muted' }, `${status.workflowType}, started `, when(status.startedAt),
      status.closedAt ? [', ended ', when(status.closedAt)] : null),
    h('div', {}, 'Step: ', h('span', { class: 'run-step' }, status.step || (status.state !== 'RUNNING' ? 'done' : '…'))),
    status.failure ? h('p', { class: 'error' }, status.failure) : null,
    status.activities.length ? h('ul', {}, status.activities.map(activity)) : null,
    top ? temporalLink(status) : null,
    status.children.length ? h('div', { class: 'children' }, status.children.map((child) => run(child, false))) : null);
}

async function runs(params, paint) {
  const heading = h('h1', {}, 'Runs');
  const live = h('div', { id: 'runs-live', 'aria-live': 'polite' }, h('p', {}, 'Loading…'));
  paint(heading, h('p', { class: 'muted' },
    'Runs in progress (backups the catalog shows running) and the runs started or followed from this tab. '
    + 'Refreshed every second.'), live);
  const refresh = async () => {
    const running = await api('/api/v1/backups?status=RUNNING&since=2d&limit=100');
    const ids = [...new Set([...watched(), ...running.map((b) => b.workflowId).filter(Boolean)])];
    const all = await Promise.all(ids.map((id) => api(`/api/v1/runs/${encodeURIComponent(id)}`)
      .catch((error) => ({ workflowId: id, error }))));
    // A plan's source backups show under the plan, not a second time on their own.
    const nested = new Set();
    const collect = (status) => (status.children || []).forEach((child) => { nested.add(child.workflowId); collect(child); });
    all.forEach(collect);
    const statuses = all.filter((status) => !nested.has(status.workflowId));
    live.replaceChildren(...(statuses.length
      ? statuses.map((status) => (status.error ? h('p', { class: 'error' }, `${status.workflowId}: ${status.error.message}`) : run(status, true)))
      : [h('p', {}, 'Nothing is running.')]));
  };
  await refresh();
  if (!paint.current()) return;
  state.timer = setInterval(() => refresh().catch((error) => live.prepend(failure(error))), 1000);
}

// ----------------------------------------------------------------------------------- actions

const dialog = document.getElementById('confirm');

/** Shows the confirmation dialog; resolves true if the user confirms. */
function confirmAction(text) {
  document.getElementById('confirm-text').textContent = text;
  dialog.returnValue = '';
  dialog.showModal();
  return new Promise((resolve) => dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true }));
}

function actionCard(title, id, controls, describe, perform) {
  const outcome = h('div', { id: `${id}-outcome`, role: 'status' });
  const form = h('form', { class: 'card', id, 'aria-labelledby': `${id}-title` },
    h('h2', { id: `${id}-title` }, title), controls, h('button', { type: 'submit', class: 'primary' }, title), outcome);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!(await confirmAction(describe(new FormData(form))))) return;
    outcome.replaceChildren(h('p', {}, 'Sending…'));
    try {
      const started = await perform(new FormData(form));
      outcome.replaceChildren(h('p', { class: 'notice' }, `Started ${started.runId}.`));
      watch(started.runId);
      location.hash = 'runs';
    } catch (error) {
      outcome.replaceChildren(failure(error));
    }
  });
  return form;
}

function select(id, label, options) {
  return h('div', {}, h('label', { for: id }, label),
    h('select', { id, name: id }, options.map((value) => h('option', { value }, value))));
}

async function actions(params, paint) {
  const operator = state.session.role === 'operator';
  const schedules = await api('/api/v1/schedules').catch(() => []);
  const backupCard = actionCard('Start a backup', 'start-backup',
    h('fieldset', {}, h('legend', {}, 'Sources (none ticked: all)'),
      state.session.sources.map((name) => h('div', {},
        h('input', { type: 'checkbox', id: `backup-${name}`, name: 'sources', value: name }),
        h('label', { for: `backup-${name}`, class: 'inline' }, name)))),
    (form) => `Start a backup of ${form.getAll('sources').join(', ') || 'all sources'} now?`,
    (form) => api('/api/v1/backups', { method: 'POST', body: { sources: form.getAll('sources') } }));
  const drillCard = actionCard('Start a drill', 'start-drill',
    select('drill-plan', 'Drill plan', state.session.drillPlans),
    (form) => `Start a DR drill of plan ${form.get('drill-plan')} now? It restores the plan's latest backups into scratch targets.`,
    (form) => api('/api/v1/drills', { method: 'POST', body: { plan: form.get('drill-plan') } }));
  const restoreCard = actionCard('Start a restore', 'start-restore',
    [select('restore-source', 'Source (its newest archived backup)', state.session.sources),
      select('restore-type', 'Target type', ['database', 'directory', 'fresh-cluster']),
      h('div', {}, h('label', { for: 'restore-into' }, 'Database name or directory (must be an allowed target)'),
        h('input', { id: 'restore-into', name: 'restore-into', required: true }))],
    (form) => `Restore the newest backup of ${form.get('restore-source')} into the ${form.get('restore-type')} ${form.get('restore-into')}?`,
    (form) => {
      const type = form.get('restore-type');
      const into = form.get('restore-into');
      const target = { type };
      if (type === 'directory') target.directory = into;
      else target.database = into;
      return api('/api/v1/restores', { method: 'POST', body: { source: form.get('restore-source'), target } });
    });
  const scheduleRows = schedules.map((schedule) => {
    const outcome = h('td', { role: 'status' });
    const act = (verb) => async () => {
      if (!(await confirmAction(`${verb} schedule ${schedule.name}?`))) return;
      try {
        const answer = await api(`/api/v1/schedules/${encodeURIComponent(schedule.name)}/${verb}`, { method: 'POST', body: {} });
        if (answer && answer.runId) {
          watch(answer.runId);
          location.hash = 'runs';
        } else {
          await render();
        }
      } catch (error) {
        outcome.replaceChildren(failure(error));
      }
    };
    return h('tr', { 'data-schedule': schedule.name },
      h('td', {}, schedule.name), h('td', {}, schedule.kind), h('td', { class: 'mono' }, schedule.cron),
      h('td', {}, statusBadge(schedule.state)), h('td', {}, when(schedule.nextRunAt)),
      h('td', {}, h('button', { type: 'button', onclick: act(schedule.state === 'PAUSED' ? 'unpause' : 'pause') },
        schedule.state === 'PAUSED' ? 'Unpause' : 'Pause'), ' ',
      h('button', { type: 'button', onclick: act('trigger') }, 'Trigger now')),
      outcome);
  });
  paint(
    h('h1', {}, 'Actions'),
    operator ? null : h('p', { class: 'notice', id: 'viewer-note' },
      `You are logged in with the viewer token ${state.session.name}: the server refuses these actions.`),
    h('div', { class: 'actions' }, backupCard, drillCard, restoreCard),
    h('h2', {}, 'Schedules'),
    schedules.length
      ? table(['Schedule', 'Kind', 'Cron', 'State', 'Next run', 'Act', 'Outcome'], scheduleRows)
      : h('p', { class: 'muted' }, 'No schedules applied (vigil schedules apply).'));
}

// ------------------------------------------------------------------------------------ router

async function render() {
  clearInterval(state.timer);
  // A slow page must not paint over the page the user has moved on to.
  const token = ++state.renders;
  const paint = (...content) => { if (token === state.renders) show(...content); };
  paint.current = () => token === state.renders;
  const [page, query] = location.hash.replace(/^#/, '').split('?');
  const params = new URLSearchParams(query || '');
  const [name, ...rest] = (page || 'overview').split('/');
  for (const anchor of document.querySelectorAll('header nav a')) {
    anchor.toggleAttribute('aria-current', false);
    if (anchor.getAttribute('href') === `#${name}`) anchor.setAttribute('aria-current', 'page');
  }
  const pages = { overview, backups, backup, drills, runs, actions };
  const view = pages[name] || overview;
  try {
    await view(name === 'backup' ? decodeURIComponent(rest.join('/')) : params, paint);
  } catch (error) {
    paint(h('h1', {}, 'Vigil'), failure(error));
  }
}

async function start() {
  state.session = await api('/console/session');
  document.getElementById('who').textContent = `${state.session.name} (${state.session.role})`;
  document.getElementById('logout').addEventListener('click', async () => {
    await fetch('/console/logout', { method: 'POST', headers: { 'X-Vigil-Csrf': state.session.csrfToken } });
    sessionStorage.removeItem(WATCHED);
    location.assign('/console/login');
  });
  window.addEventListener('hashchange', render);
  await render();
}

start().catch((error) => show(h('h1', {}, 'Vigil'), failure(error)));
