import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { MetricsLog } from './metrics-log.ts';
import { tableFromJson, tableFromMarkdown } from './results-table.ts';

/**
 * Training and distillation curves from `runs/<run>/metrics.jsonl`, listed by the server's
 * read-only `/runs/` route. A live run is tailed with HTTP ranges: each poll fetches only the
 * bytes written since the last one.
 */
type RunEntry = { name: string; mtimeMs: number; files: { name: string; size: number; mtimeMs: number }[] };

const POLL_MS = 2000;
const LIST_MS = 10000;
const PALETTE = ['#38bdf8', '#f97316', '#a3e635', '#e879f9', '#facc15', '#f87171'];

function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`charts markup is missing #${id}`);
  return element as T;
}

const select = byId<HTMLSelectElement>('run-select');
const status = byId('run-status');
const errorBox = byId('charts-error');
const grid = byId('charts');
const results = byId('results');
const liveToggle = byId<HTMLInputElement>('tg-live');
const base = new URL('./', location.href);
const runsUrl = new URL('runs/', base);

let runs: RunEntry[] = [];

/** Run names are relative paths ('report__3m/runs/teacher__seed1'): encode each segment. */
function runFileUrl(run: string, file: string): URL {
  return new URL(`runs/${run.split('/').map(encodeURIComponent).join('/')}/${encodeURIComponent(file)}`, base);
}
let current: { run: string; log: MetricsLog; offset: number; decoder: TextDecoder; plots: Map<string, uPlot> } | null = null;
let polling = false;
let lastError = '';

function showError(text: string): void {
  lastError = text;
  errorBox.textContent = text;
  errorBox.hidden = false;
}

function clearError(): void {
  lastError = '';
  errorBox.hidden = true;
}

async function listRuns(): Promise<void> {
  try {
    const response = await fetch(runsUrl, { cache: 'no-store' });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const body = (await response.json()) as { runs?: RunEntry[] };
    runs = Array.isArray(body.runs) ? body.runs : [];
  } catch (error) {
    showError(`Cannot list runs at ${runsUrl.pathname}: ${(error as Error).message}`);
    return;
  }
  const selected = select.value || new URLSearchParams(location.search).get('run') || '';
  select.replaceChildren(
    ...runs.map((run) => {
      const option = document.createElement('option');
      option.value = run.name;
      option.textContent = `${run.name}${run.files.some((f) => f.name === 'metrics.jsonl') ? '' : ' (no metrics)'}`;
      return option;
    }),
  );
  if (runs.length === 0) {
    status.textContent = 'no runs yet: train with kdmarl to create runs/<run>/metrics.jsonl';
    return;
  }
  select.value = runs.some((r) => r.name === selected) ? selected : runs[0]!.name;
  if (!current || current.run !== select.value) await openRun(select.value);
}

async function openRun(name: string): Promise<void> {
  for (const plot of current?.plots.values() ?? []) plot.destroy();
  grid.replaceChildren();
  results.replaceChildren();
  clearError();
  current = { run: name, log: new MetricsLog(), offset: 0, decoder: new TextDecoder(), plots: new Map() };
  const params = new URLSearchParams(location.search);
  params.set('run', name);
  history.replaceState(null, '', `?${params}`);
  await loadResults(name);
  await poll();
}

async function loadResults(name: string): Promise<void> {
  const run = runs.find((r) => r.name === name);
  const files = new Set(run?.files.map((f) => f.name));
  // `kdmarl report` writes report.md (its first table is the results); others may write results.*.
  for (const file of ['results.md', 'report.md', 'results.json']) {
    if (!files.has(file)) continue;
    try {
      const response = await fetch(runFileUrl(name, file), { cache: 'no-store' });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const text = await response.text();
      const table = file.endsWith('.json') ? tableFromJson(JSON.parse(text)) : tableFromMarkdown(text);
      if (!table) continue;
      const heading = document.createElement('h3');
      heading.textContent = file;
      results.replaceChildren(heading, table);
      return;
    } catch (error) {
      showError(`Cannot read ${name}/${file}: ${(error as Error).message}`);
    }
  }
}

/** Completed polls, for the tests. */
let pollsDone = 0;

/** Fetch what was appended to metrics.jsonl since the last poll and redraw. */
async function poll(): Promise<void> {
  const state = current;
  if (!state || polling) return;
  polling = true;
  try {
    const url = runFileUrl(state.run, 'metrics.jsonl');
    // From one byte before what we have: an unchanged file then answers 206 with that byte rather
    // than 416, which the browser would log as a failed load on every poll.
    const overlap = state.offset > 0 ? 1 : 0;
    const response = await fetch(url, { cache: 'no-store', headers: overlap ? { range: `bytes=${state.offset - overlap}-` } : {} });
    if (state !== current) return;
    if (response.status === 404) {
      status.textContent = `${state.run}: no metrics.jsonl yet`;
      return;
    }
    if (response.status === 416) {
      // The file is shorter than what we read: it was replaced (a restarted run).
      await openRun(state.run);
      return;
    }
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    // A server that ignored the range sent the whole file again: skip what we already have.
    const fresh = bytes.subarray(response.status === 200 ? state.offset : overlap);
    if (fresh.length === 0) return;
    state.offset += fresh.length;
    state.log.append(state.decoder.decode(fresh, { stream: true }));
    draw(state);
    const log = state.log;
    status.textContent = `${state.run}: ${log.steps.length} rows, last step ${log.steps[log.steps.length - 1] ?? '–'}`;
    if (log.rejectedCount > 0) showError(`${state.run}/metrics.jsonl: skipped ${log.rejectedCount} bad line(s): ${log.rejected.join('; ')}`);
  } catch (error) {
    showError(`Cannot read metrics of ${state.run}: ${(error as Error).message}`);
  } finally {
    polling = false;
    pollsDone++;
  }
}

function draw(state: NonNullable<typeof current>): void {
  const log = state.log;
  log.keys().forEach((key, index) => {
    const data: uPlot.AlignedData = [log.steps, log.columns.get(key)!];
    const existing = state.plots.get(key);
    if (existing) {
      existing.setData(data);
      return;
    }
    const card = document.createElement('div');
    card.className = 'chart-card';
    card.dataset['key'] = key;
    const title = document.createElement('h3');
    title.textContent = key;
    card.append(title);
    grid.append(card);
    const plot = new uPlot(
      {
        width: Math.max(300, card.clientWidth - 12),
        height: 220,
        legend: { show: true },
        scales: { x: { time: false } },
        axes: [
          { stroke: '#94a3b8', grid: { stroke: '#1e293b' }, label: log.xKey },
          { stroke: '#94a3b8', grid: { stroke: '#1e293b' } },
        ],
        series: [{ label: log.xKey }, { label: key, stroke: PALETTE[index % PALETTE.length], width: 1.5, spanGaps: true }],
      },
      data,
      card,
    );
    state.plots.set(key, plot);
  });
}

select.addEventListener('change', () => void openRun(select.value));
setInterval(() => {
  if (liveToggle.checked) void poll();
}, POLL_MS);
setInterval(() => void listRuns(), LIST_MS);
window.addEventListener('resize', () => {
  for (const plot of current?.plots.values() ?? []) {
    const card = plot.root.parentElement;
    if (card) plot.setSize({ width: Math.max(300, card.clientWidth - 12), height: 220 });
  }
});

declare global {
  interface Window {
    __charts?: { run(): string | null; rows(): number; keys(): string[]; error(): string; tables(): number; polls(): number };
  }
}
window.__charts = {
  run: () => current?.run ?? null,
  rows: () => current?.log.steps.length ?? 0,
  keys: () => [...(current?.plots.keys() ?? [])],
  error: () => lastError,
  tables: () => results.querySelectorAll('table').length,
  polls: () => pollsDone,
};

void listRuns();
