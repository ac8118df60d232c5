/**
 * A run's results table, from results.json (an array of row objects, or an object of rows keyed
 * by name) or results.md (the first markdown pipe table). Built with DOM text only: nothing from
 * the file is parsed as HTML.
 */
export function tableFromJson(value: unknown): HTMLTableElement | null {
  let rows: Record<string, unknown>[];
  if (Array.isArray(value)) {
    rows = value.filter((r): r is Record<string, unknown> => typeof r === 'object' && r !== null && !Array.isArray(r));
  } else if (typeof value === 'object' && value !== null) {
    rows = Object.entries(value as Record<string, unknown>).map(([name, row]) =>
      typeof row === 'object' && row !== null && !Array.isArray(row) ? { name, ...(row as Record<string, unknown>) } : { name, value: row },
    );
  } else {
    return null;
  }
  if (rows.length === 0) return null;
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return build(columns, rows.map((r) => columns.map((c) => format(r[c]))));
}

export function tableFromMarkdown(text: string): HTMLTableElement | null {
  const lines = text.split('\n').map((l) => l.trim());
  const start = lines.findIndex((l, i) => l.startsWith('|') && /^\|?\s*:?-{3,}/.test(lines[i + 1] ?? ''));
  if (start < 0) return null;
  const cells = (line: string): string[] => line.replace(/^\|/, '').replace(/\|$/, '').split('|').map((c) => c.trim());
  const header = cells(lines[start]!);
  const body: string[][] = [];
  for (let i = start + 2; i < lines.length && lines[i]!.startsWith('|'); i++) body.push(cells(lines[i]!));
  return build(header, body);
}

function format(value: unknown): string {
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toPrecision(4);
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function build(header: string[], body: string[][]): HTMLTableElement {
  const table = document.createElement('table');
  const head = table.createTHead().insertRow();
  for (const h of header) {
    const th = document.createElement('th');
    th.textContent = h;
    head.append(th);
  }
  const tbody = table.createTBody();
  for (const row of body) {
    const tr = tbody.insertRow();
    for (const cell of row) tr.insertCell().textContent = cell;
  }
  return table;
}
