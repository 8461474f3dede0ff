// The dtx web console (README "Web console"): plain browser JavaScript over /api/console/*.
// Every value from the cluster goes into the page as text (textContent), never as HTML.
'use strict';

const REFRESH_MS = 2000;
const TOKEN_KEY = 'dtx-console-token';
const $ = (id) => document.getElementById(id);
let selectedTxn = null;
const errors = new Map();

// A token given as ?token= is kept for this tab and taken out of the address bar.
(function takeToken() {
  const url = new URL(location.href);
  const t = url.searchParams.get('token');
  if (t) {
    sessionStorage.setItem(TOKEN_KEY, t);
    url.searchParams.delete('token');
    history.replaceState(null, '', url.pathname + url.search);
  }
})();

async function api(path, init = {}) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const headers = { ...(init.headers || {}), ...(token ? { authorization: `Bearer ${token}` } : {}) };
  const res = await fetch(`/api/console/${path}`, { ...init, headers, cache: 'no-store' });
  const text = await res.text();
  let body = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = { error: text.trim() || res.statusText };
  }
  if (!res.ok) throw new Error(`${res.status}: ${body.error || res.statusText}`);
  return body;
}

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function row(cells) {
  const tr = document.createElement('tr');
  for (const c of cells) tr.append(c instanceof Node ? wrapTd(c) : el('td', c));
  return tr;
}

function wrapTd(node) {
  const td = document.createElement('td');
  td.append(node);
  return td;
}

function duration(ms) {
  if (ms === null || ms === undefined) return '-';
  const s = Math.round(Number(ms) / 1000);
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  return `${Math.round(s / 3600)}h`;
}

function showErrors() {
  $('errors').textContent = [...errors.entries()].map(([what, msg]) => `${what}: ${msg}`).join('\n');
}

function section(name, fn) {
  return fn().then(
    () => errors.delete(name),
    (err) => errors.set(name, err.message || String(err)),
  );
}

async function loadNodes() {
  const r = await api('nodes');
  $('scope').textContent = r.scope === 'cluster' ? 'whole cluster' : r.scope;
  const body = $('nodes').tBodies[0];
  body.replaceChildren(
    ...r.nodes.map((n) =>
      row([
        n.id || '?',
        n.role,
        n.address,
        el('span', n.up ? 'up' : `down${n.error ? ` (${n.error})` : ''}`, n.up ? 'up' : 'down'),
        duration(n.uptimeMs),
        n.inDoubt ?? '-',
      ]),
    ),
  );
}

/** Transactions grouped by id: one row per transaction, the nodes that hold it and their phases. */
async function loadTxns() {
  const r = await api('transactions');
  const byTxn = new Map();
  const failed = [];
  for (const a of r.answers) {
    if (!a.ok) failed.push(`${a.node}: ${a.error}`);
    for (const v of a.value || []) {
      const t = byTxn.get(v.txnId) || { txn: v.txnId, views: [] };
      t.views.push(v);
      byTxn.set(v.txnId, t);
    }
  }
  if (failed.length) errors.set('in-doubt (some nodes did not answer)', failed.join('; '));
  else errors.delete('in-doubt (some nodes did not answer)');
  const rows = [...byTxn.values()];
  const body = $('txns').tBodies[0];
  body.replaceChildren(
    ...rows.map((t) => {
      const first = t.views.find((v) => v.coordinator) || t.views[0];
      const tr = row([
        el('code', t.txn),
        first.protocol || '-',
        first.coordinator || '-',
        t.views.map((v) => `${v.nodeId} (${v.phase})`).join(', '),
        duration(Math.max(...t.views.map((v) => Number(v.ageMs)))),
        t.views.map((v) => v.blockedBy).find(Boolean) || '-',
      ]);
      tr.dataset.txn = t.txn;
      if (t.txn === selectedTxn) tr.classList.add('selected');
      tr.addEventListener('click', () => select(t.txn));
      return tr;
    }),
  );
  $('txns-empty').hidden = rows.length > 0;
}

function select(txn) {
  selectedTxn = txn;
  $('inspect-section').hidden = false;
  $('inspect-txn').textContent = txn;
  $('resolve-result').textContent = '';
  for (const tr of $('txns').tBodies[0].rows) tr.classList.toggle('selected', tr.dataset.txn === txn);
  section('inspect', loadInspect).then(showErrors);
}

function viewBlock(a) {
  const div = el('div', undefined, 'view');
  div.dataset.node = a.node;
  if (!a.ok) {
    div.append(el('h4', `${a.node}: no answer`), el('p', a.error, 'down'));
    return div;
  }
  const v = a.value;
  div.append(el('h4', `${v.nodeId} (${v.role}): ${v.known ? v.phase : 'unknown here'}`));
  const dl = document.createElement('dl');
  const kv = (k, val) => {
    if (val === undefined || val === null || val === '' || (Array.isArray(val) && val.length === 0)) return;
    dl.append(el('dt', k), el('dd', Array.isArray(val) ? val.join('; ') : val));
  };
  kv('protocol', v.protocol);
  kv('coordinator', v.coordinator);
  kv('participants', v.participants);
  kv(
    'votes',
    (v.votes || []).map((x) => `${x.participant}=${x.vote || '?'}${x.acked ? ' (acked)' : ''}`),
  );
  kv('decision', v.decision ? `${v.decision}${v.heuristic ? ` HEURISTIC (${v.heuristicBy})` : ''}` : '');
  kv('locks held', v.locksHeld);
  kv('waits for', v.waitsFor);
  kv('blocked by', v.blockedBy);
  for (const rec of v.records || []) kv(`record ${rec.kind}`, rec.summary);
  div.append(dl);
  return div;
}

async function loadInspect() {
  if (!selectedTxn) return;
  const r = await api(`inspect?txn=${encodeURIComponent(selectedTxn)}`);
  if (r.txn !== selectedTxn) return;
  $('inspect-views').replaceChildren(...r.answers.map(viewBlock));
}

async function loadAudit() {
  const r = await api('audit');
  $('audit').tBodies[0].replaceChildren(
    ...r.entries.map((e) => row([new Date(e.atMs).toISOString().replace('T', ' ').slice(0, 19), e.nodeId, e.actor, e.action, e.target, e.reason, e.result])),
  );
}

async function loadLocks() {
  const r = await api('locks');
  const rows = [];
  const failed = [];
  for (const a of r.answers) {
    if (!a.ok) failed.push(`${a.node}: ${a.error}`);
    for (const l of a.value || []) rows.push(row([el('code', l.name), a.node, l.owner, l.leaseId, l.fencingToken, duration(l.expiresInMs)]));
  }
  if (failed.length) throw new Error(failed.join('; '));
  $('locks').tBodies[0].replaceChildren(...rows);
  $('locks-empty').hidden = rows.length > 0;
}

const charts = {};
function chart(id, title, series) {
  const opts = {
    title,
    width: 560,
    height: 220,
    series: [{}, ...series.map(([label, stroke]) => ({ label, stroke, width: 2, spanGaps: false }))],
    axes: [{}, { size: 60 }],
  };
  return new uPlot(opts, [[], ...series.map(() => [])], $(id));
}

async function loadSeries() {
  const r = await api('series');
  if (typeof uPlot === 'undefined') throw new Error('the chart library did not load');
  charts.tput ??= chart('chart-throughput', 'transactions per second', [
    ['committed/s', '#137333'],
    ['aborted/s', '#b3261e'],
  ]);
  charts.lat ??= chart('chart-latency', 'latency (ms)', [
    ['p50', '#1a56db'],
    ['p99', '#d97706'],
  ]);
  const t = r.points.map((p) => p.atMs / 1000);
  charts.tput.setData([t, r.points.map((p) => p.committedPerSec), r.points.map((p) => p.abortedPerSec)]);
  charts.lat.setData([t, r.points.map((p) => p.p50Ms), r.points.map((p) => p.p99Ms)]);
}

async function refresh() {
  await Promise.all([
    section('nodes', loadNodes),
    section('in-doubt', loadTxns),
    section('inspect', loadInspect),
    section('audit', loadAudit),
    section('charts', loadSeries),
    section('locks', loadLocks),
  ]);
  showErrors();
  $('refreshed').textContent = `refreshed ${new Date().toLocaleTimeString()}`;
}

function askConfirmation(txn) {
  return new Promise((resolve) => {
    const d = $('confirm');
    $('confirm-expected').textContent = txn;
    $('confirm-txn').value = '';
    $('confirm-go').disabled = true;
    $('confirm-txn').oninput = () => ($('confirm-go').disabled = $('confirm-txn').value.trim() !== txn);
    d.onclose = () => resolve(d.returnValue === 'go' ? $('confirm-txn').value.trim() : null);
    d.showModal();
  });
}

async function resolveSelected(ev) {
  ev.preventDefault();
  const out = $('resolve-result');
  const txn = selectedTxn;
  const reason = $('reason').value.trim();
  if (!reason) {
    out.className = 'refused';
    out.textContent = 'A reason is required: it goes to the audit log.';
    return;
  }
  const heuristic = $('heuristic').checked;
  const body = { txn, outcome: document.querySelector('input[name=outcome]:checked').value, reason, heuristic, operator: $('operator').value.trim() };
  if (heuristic) {
    const confirm = await askConfirmation(txn);
    if (confirm === null) {
      out.className = '';
      out.textContent = 'Cancelled: nothing was changed.';
      return;
    }
    body.confirm = confirm;
  }
  out.className = '';
  out.textContent = 'Resolving…';
  try {
    const r = await api('resolve', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    out.className = 'ok';
    out.textContent = `${r.txn}: ${r.outcome}${r.heuristic ? ' (HEURISTIC)' : ''}: ${r.rule}`;
  } catch (err) {
    out.className = 'refused';
    out.textContent = `Refused: ${err.message}`;
  }
  await refresh();
}

$('resolve').addEventListener('submit', (ev) => void resolveSelected(ev));
$('login').addEventListener('submit', (ev) => {
  ev.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, $('token').value.trim());
  $('token').value = '';
  void refresh();
});

void refresh();
setInterval(() => void refresh(), REFRESH_MS);
