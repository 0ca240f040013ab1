// The live status page: one self-contained HTML document (inline CSS and JS, no framework, nothing loaded
// from elsewhere) that reads only `/api/status` and `/api/events` (STYLE 12: no private endpoint). It loads
// the snapshot, then follows the SSE stream from the snapshot's `lastEvent`, applying each event to what it
// shows; on `missed` (it fell behind the kept events), and a little after events that change what peers
// lack or the cloud holds, it reloads the snapshot and replays the events it has seen since. Names from the
// repository are only ever set as text (textContent), never parsed as HTML.
// Kept as a string so the bundle serves it with no file to copy; the JS inside uses no backticks.

/** The page, its inline script and style tagged with the response's CSP nonce. */
export function statusPage(nonce: string): string {
  return PAGE.replaceAll('NONCE', nonce);
}

const PAGE = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>ferry assistant</title>
<style nonce="NONCE">
  :root { color-scheme: light dark; --muted: #777; --ok: #2a7d2a; --warn: #b26b00; --bad: #b3261e; }
  body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 60rem; padding: 1rem 1.25rem 3rem; }
  header { display: flex; justify-content: space-between; align-items: baseline; gap: 1rem; flex-wrap: wrap; }
  h1 { font-size: 1.3rem; margin: 0.3rem 0; }
  h2 { font-size: 1.05rem; margin: 1.6rem 0 0.4rem; border-bottom: 1px solid #8884; padding-bottom: 0.2rem; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: 0.25rem 0.5rem 0.25rem 0; vertical-align: top; }
  th { font-weight: 600; color: var(--muted); font-size: 0.85rem; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
  .muted, .empty { color: var(--muted); }
  .path { font-family: ui-monospace, monospace; font-size: 0.9rem; word-break: break-all; }
  progress { width: 12rem; vertical-align: middle; }
  .state { font-weight: 600; }
  .state div { font-weight: normal; }
  .connected, .active, .live { color: var(--ok); }
  .polling, .queued, .reconnecting, .retrying { color: var(--warn); }
  .failed, .silent, .closed { color: var(--bad); }
  #activity li { margin: 0.1rem 0; }
  code { font-family: ui-monospace, monospace; }
</style>
</head>
<body data-live="no">
<header>
  <h1>ferry assistant <span id="repo" class="path muted"></span></h1>
  <span id="conn" class="state reconnecting">connecting…</span>
</header>
<p id="self" class="muted"></p>
<h2>Peers</h2>
<table id="peers"><thead><tr><th>peer</th><th>remote</th><th class="num">last seq</th><th class="num">age</th><th>lacks</th></tr></thead><tbody></tbody></table>
<h2>Queue and transfers <span id="queue-summary" class="muted"></span></h2>
<table id="transfers"><thead><tr><th></th><th>file</th><th>remote</th><th>progress</th><th>state</th></tr></thead><tbody></tbody></table>
<h2>Change notices</h2>
<table id="notifiers"><thead><tr><th>remote</th><th>notifier</th><th>state</th><th>since</th><th></th></tr></thead><tbody></tbody></table>
<h2>Cloud</h2>
<table id="cloud"><thead><tr><th>remote</th><th>type</th><th class="num">stored (this tree's files)</th><th class="num">files</th><th class="num">requests / month</th><th class="num">estimated cost / month</th></tr></thead><tbody></tbody></table>
<p id="unused" class="muted"></p>
<h2>Recent activity</h2>
<ul id="activity"></ul>
<script nonce="NONCE">
'use strict';
let state = null;       // the last snapshot, with the events since applied
let clockOffset = 0;    // server time minus this browser's
let source = null;
let reloadTimer = null;
let drawQueued = false;
const seen = [];        // recent events, replayed over a reloaded snapshot
const activity = [];

const $ = (id) => document.getElementById(id);

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function row(cells) {
  const tr = document.createElement('tr');
  for (const c of cells) tr.appendChild(c instanceof Node ? c : el('td', c));
  return tr;
}

function num(v) { return el('td', v, 'num'); }

function bytes(n) {
  if (n === undefined || n === null) return '?';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) { n /= 1000; i++; }
  return (i === 0 ? String(n) : n.toFixed(n < 10 ? 1 : 0)) + ' ' + units[i];
}

function age(time) {
  if (!time) return 'never';
  const s = Math.max(0, Math.round((Date.now() + clockOffset - time) / 1000));
  if (s < 60) return s + ' s';
  if (s < 3600) return Math.floor(s / 60) + ' min';
  if (s < 86400) return Math.floor(s / 3600) + ' h';
  return Math.floor(s / 86400) + ' d';
}

function fill(id, rows, empty, columns) {
  const body = $(id).tBodies[0];
  body.replaceChildren();
  if (rows.length === 0) {
    const td = el('td', empty, 'empty');
    td.colSpan = columns;
    body.appendChild(row([td]));
  }
  for (const r of rows) body.appendChild(r);
}

function draw() {
  drawQueued = false;
  if (!state) return;
  const repo = state.repository;
  $('repo').textContent = repo.path;
  $('self').textContent = (repo.description || repo.uuid) + (repo.seq !== undefined ? ' · last published seq ' + repo.seq : '') +
    ' · assistant pid ' + state.assistant.pid + ', up ' + age(state.assistant.startedAt);

  fill('peers', state.peers.map((p) => {
    const lacks = el('td');
    if (p.lacks.files === 0) lacks.appendChild(el('span', 'nothing', 'muted'));
    else {
      lacks.appendChild(el('span', p.lacks.files + (p.lacks.files === 1 ? ' file, ' : ' files, ') + bytes(p.lacks.bytes)));
      for (const path of p.lacks.examples) lacks.appendChild(el('div', path, 'path'));
    }
    const name = el('td', p.description || p.uuid);
    name.title = p.uuid;
    if (p.silent) name.appendChild(el('div', 'silent past the retirement period: ferry dead ' + p.uuid, 'silent'));
    const tr = row([name, el('td', p.remote || '', 'muted'), num(p.seq === undefined ? '–' : p.seq), num(age(p.lastSeen)), lacks]);
    tr.dataset.peer = p.uuid;
    return tr;
  }), 'no peers yet', 5);

  const queued = state.transfers.filter((t) => t.state !== 'active').length;
  const active = state.transfers.length - queued;
  $('queue-summary').textContent = '· ' + active + ' active, ' + queued + ' waiting';
  fill('transfers', state.transfers.map((t) => {
    const bar = document.createElement('progress');
    if (t.size) { bar.max = t.size; bar.value = t.bytes; }
    const progress = el('td');
    progress.appendChild(bar);
    const pct = t.size ? Math.floor((100 * t.bytes) / t.size) + '% of ' + bytes(t.size) : bytes(t.bytes);
    progress.appendChild(el('span', ' ' + pct, 'pct'));
    let note = t.state;
    if (t.state === 'retrying' && t.retryAt) note += ' (attempt ' + (t.attempt + 1) + ' in ' + Math.max(0, Math.round((t.retryAt - Date.now() - clockOffset) / 1000)) + ' s)';
    const st = el('td', note, 'state ' + t.state);
    if (t.error) st.appendChild(el('div', t.error, 'muted'));
    const tr = row([el('td', t.direction === 'upload' ? '↑' : '↓'), el('td', t.path || t.key, 'path'), el('td', t.remote), progress, st]);
    tr.dataset.transfer = t.transfer;
    tr.dataset.state = t.state;
    return tr;
  }), 'nothing queued', 5);

  fill('notifiers', state.notifiers.map((n) => {
    const tr = row([el('td', n.remote), el('td', n.notifier), el('td', n.state, 'state ' + n.state), el('td', n.since ? age(n.since) + ' ago' : ''), el('td', n.detail || '', 'muted')]);
    tr.dataset.notifier = n.remote;
    return tr;
  }), 'no cloud remote: nothing to hear from', 5);

  fill('cloud', state.cloud.map((c) => {
    const cost = c.estimatedCostPerMonth;
    const costCell = num(cost ? cost.amount.toFixed(2) + ' ' + cost.currency : '?');
    if (cost) costCell.title = cost.basis;
    const tr = row([el('td', c.remote), el('td', c.type), num(bytes(c.storedBytes)), num(c.objects === undefined ? '?' : c.objects),
      num(c.requestsPerMonth === undefined ? '?' : c.requestsPerMonth), costCell]);
    tr.dataset.cloud = c.remote;
    return tr;
  }), 'no cloud store', 6);
  const basis = state.cloud.map((c) => c.estimatedCostPerMonth && c.estimatedCostPerMonth.basis).filter(Boolean);
  const u = state.unused;
  $('unused').textContent = (basis.length ? 'Cost basis: ' + basis.join('; ') + '. ' : '') +
    (u ? 'Old versions (unused content): ' + u.keys + ' keys, ' + bytes(u.bytes) +
      (u.expireAfterDays !== undefined ? ', expired after ' + u.expireAfterDays + ' days.' : ', kept until you run ferry dropunused.') : '');

  const list = $('activity');
  list.replaceChildren();
  for (const a of activity) list.appendChild(el('li', a));
  if (activity.length === 0) list.appendChild(el('li', 'nothing yet', 'empty'));
}

function redraw() {
  if (!drawQueued) { drawQueued = true; requestAnimationFrame(draw); }
}

function describe(e) {
  switch (e.type) {
    case 'committed': return 'committed ' + e.added + ' added, ' + e.deleted + ' deleted: ' + e.message;
    case 'transfer-queued': return 'queued ' + e.direction + ' of ' + (e.path || e.key) + ' (' + e.remote + ')';
    case 'transfer-done': return e.ok ? 'transfer ' + e.transfer + ' done' : 'transfer ' + e.transfer + ' failed: ' + (e.error || '?');
    case 'pushed': return 'pushed to ' + e.remote + ' (seq ' + e.seq + ')';
    case 'pulled': return 'pulled from ' + e.remote + (e.merged ? ', merged ' + e.changed + ' changes' : ', nothing new');
    case 'notice': return 'notice from ' + e.peer + ' seq ' + e.seq + ' via ' + e.via;
    case 'notifier': return e.remote + ': ' + e.notifier + ' ' + e.state + (e.detail ? ' (' + e.detail + ')' : '');
    case 'dropped': return 'dropped ' + e.key + ' from ' + e.from + ': ' + e.reason;
    case 'file-deferred': return 'waiting for ' + e.path + ': ' + e.reason;
    case 'changes-seen': return (e.scan ? 'scan found ' : 'saw ') + e.paths + ' changed paths';
    case 'error': return 'error in ' + e.part + ': ' + e.message;
    case 'started': return 'assistant started (pid ' + e.pid + ')';
    case 'stopping': return 'assistant stopping: ' + e.reason;
    default: return null;
  }
}

function apply(e) {
  const ts = state.transfers;
  const find = (id) => ts.find((t) => t.transfer === id);
  switch (e.type) {
    case 'transfer-queued': {
      const t = find(e.transfer);
      const fresh = { transfer: e.transfer, direction: e.direction, key: e.key, path: e.path, remote: e.remote, state: 'queued', bytes: 0, attempt: 0 };
      if (t) Object.assign(t, fresh, { bytes: t.bytes, size: t.size, state: t.state }); else ts.push(fresh);
      break;
    }
    case 'transfer-progress': {
      let t = find(e.transfer);
      if (!t) { t = { transfer: e.transfer, direction: 'download', key: e.transfer, remote: '', attempt: 0 }; ts.push(t); }
      t.bytes = e.bytes;
      if (e.size !== undefined) t.size = e.size;
      t.state = 'active';
      t.error = undefined;
      break;
    }
    case 'transfer-done': {
      const t = find(e.transfer);
      if (e.ok) state.transfers = ts.filter((x) => x.transfer !== e.transfer);
      else if (t) {
        t.attempt = e.attempt;
        t.error = e.error;
        t.state = e.retryInMs !== undefined ? 'retrying' : 'failed';
        t.retryAt = e.retryInMs !== undefined ? e.time + e.retryInMs : undefined;
      }
      reloadSoon();
      break;
    }
    case 'notifier': {
      const n = state.notifiers.find((x) => x.remote === e.remote && x.notifier === e.notifier) || state.notifiers.find((x) => x.remote === e.remote);
      const fresh = { remote: e.remote, notifier: e.notifier, state: e.state, detail: e.detail, since: e.time };
      if (n) Object.assign(n, fresh); else state.notifiers.push(fresh);
      break;
    }
    case 'notice': {
      const p = state.peers.find((x) => x.uuid === e.peer);
      if (p) { p.seq = e.seq; p.lastSeen = e.time; p.silent = false; }
      else state.peers.push({ uuid: e.peer, description: e.peer, remote: e.remote, seq: e.seq, lastSeen: e.time, lacks: { files: 0, bytes: 0, examples: [] } });
      break;
    }
    case 'pushed':
      state.repository.seq = e.seq;
      break;
    case 'pulled': case 'dropped': case 'committed':
      reloadSoon();
      break;
  }
}

function remember(e) {
  seen.push(e);
  if (seen.length > 2000) seen.shift();
  const text = describe(e);
  if (text) {
    activity.unshift(new Date(e.time).toLocaleTimeString() + '  ' + text);
    if (activity.length > 50) activity.pop();
  }
}

function reloadSoon() {
  if (reloadTimer === null) reloadTimer = setTimeout(load, 1500);
}

async function load() {
  reloadTimer = null;
  try {
    const res = await fetch('/api/status', { cache: 'no-store', credentials: 'same-origin' });
    if (!res.ok) throw new Error(res.status === 401 ? 'not logged in: open the URL that ferry status --open prints' : 'status ' + res.status);
    const s = await res.json();
    clockOffset = s.now - Date.now();
    state = s;
    for (const e of seen) if (e.id > s.lastEvent) apply(e);
    redraw();
    if (!source) follow(s.lastEvent);
  } catch (err) {
    setConn('closed', String(err.message || err));
  }
}

function setConn(cls, text) {
  const c = $('conn');
  c.className = 'state ' + cls;
  c.textContent = text;
  document.body.dataset.live = cls === 'live' ? 'yes' : 'no';
}

function follow(since) {
  source = new EventSource('/api/events?since=' + since);
  source.onopen = () => setConn('live', 'live');
  source.onmessage = (m) => {
    const e = JSON.parse(m.data);
    remember(e);
    if (state) apply(e);
    redraw();
  };
  source.addEventListener('missed', () => { if (reloadTimer !== null) clearTimeout(reloadTimer); load(); });
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED) setConn('closed', 'disconnected: is the assistant still running? (ferry status)');
    else setConn('reconnecting', 'reconnecting…');
  };
}

setInterval(redraw, 1000);
load();
</script>
</body>
</html>
`;
