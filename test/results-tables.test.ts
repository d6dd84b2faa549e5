/**
 * Every number in the results tables of docs/results.md is the committed
 * `results.json` it comes from, printed as the report prints it: a table
 * edited by hand, or a results.json rerun without updating the doc, fails.
 *
 * A results table is a markdown table whose header's first cell starts with
 * `row`, tied to the artefacts the doc links before it: the nearest link into
 * `results/` above the table, within its section. When that link's folder
 * (or a folder above it inside `results/`, for a sub-experiment such as
 * `results/systems/fashion-mnist/stl-theta-only`) holds a `results.json`,
 * the table is checked against it; tables whose link names none (the
 * PyTorch mirror's screens, with their own table.md) are not. Each row label
 * is mapped to its results.json row by {@link rowNames}, each header to a
 * number of the row by {@link columns}; an unmapped label or header fails,
 * naming the table, so that whoever adds a table maps it. In every cell the
 * mean and std (and the per-seed values, when printed) rounded to the cell's
 * decimals must equal the cell, and the seeds the table names must be the
 * row's.
 */
import type { SeedSummary } from '@equissl/eval';
import type { RowSummary } from '@equissl/lab';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const docs = join(root, 'docs');
const resultsDir = join(docs, 'results');
const docFile = 'docs/results.md';

/** The parts of a results.json row the tables print. */
type Row = Pick<RowSummary, 'name' | 'seeds' | 'r2' | 'linear' | 'knn'> & Partial<Pick<RowSummary, 'halves'>>;

/**
 * The doc's row labels (bold and a trailing seed list such as `(0–2)` taken
 * off) → results.json row names. The reproduce report's own labels
 * (`rowLabels` in packages/lab/src/reproduce/command.ts) are longer; the doc
 * shortens them, and the systems tables name VICReg, reproduce's baseline
 * and method, by the system.
 */
const rowNames: Readonly<Record<string, string>> = {
  // the reproduce tables (Fashion-MNIST, photos)
  'untrained encoder (control)': 'untrained',
  baseline: 'baseline',
  method: 'method',
  // the systems tables: X alone and Ours(X)
  'untrained encoder': 'untrained',
  'VICReg (baseline)': 'baseline',
  'Ours(VICReg) (method)': 'method',
  iBOT: 'ibot',
  'Ours(iBOT)': 'ours-ibot',
  DINOv2: 'dinov2',
  'Ours(DINOv2)': 'ours-dinov2',
  SIE: 'sie',
  'Ours(SIE)': 'ours-sie',
  STL: 'stl',
  'Ours(STL)': 'ours-stl',
  'SIE (all)': 'sie-all',
  'Ours(SIE, all, rot)': 'ours-sie-all-rot',
  // the K ablation tables (K = 2 is the method)
  'method, K = 1': 'method-k1',
  'method, K = 2': 'method',
  'method, K = 3': 'method-k3',
  'method, K = 3 (`--ablation k3`)': 'method-k3',
};

/**
 * Header → the number of a results.json row it prints, and the factor it is
 * printed at (accuracies in percent). Every column of today's results tables
 * is a number of results.json; a table with another column fails until it is
 * mapped here.
 */
const columns: Readonly<Record<string, { readonly pick: (r: Row) => SeedSummary | undefined; readonly scale: number }>> = {
  'R² rot': { pick: (r) => r.r2.rotation, scale: 1 },
  colour: { pick: (r) => r.r2.colour, scale: 1 },
  blur: { pick: (r) => r.r2.blur, scale: 1 },
  trans: { pick: (r) => r.r2.translation, scale: 1 },
  mean: { pick: (r) => r.r2.mean, scale: 1 },
  'mean R²': { pick: (r) => r.r2.mean, scale: 1 },
  'linear %': { pick: (r) => r.linear, scale: 100 },
  'k-NN %': { pick: (r) => r.knn, scale: 100 },
  // R²(rotation) per half of the split, by each readout
  'full (MLP)': { pick: (r) => r.halves?.mlp.full, scale: 1 },
  'inv (MLP)': { pick: (r) => r.halves?.mlp.inv, scale: 1 },
  'equi (MLP)': { pick: (r) => r.halves?.mlp.equi, scale: 1 },
  'full (ridge)': { pick: (r) => r.halves?.ridge.full, scale: 1 },
  'inv (ridge)': { pick: (r) => r.halves?.ridge.inv, scale: 1 },
  'equi (ridge)': { pick: (r) => r.halves?.ridge.equi, scale: 1 },
};

interface Table {
  /** 1-based line of the header in the doc. */
  readonly line: number;
  readonly heading: string;
  readonly header: ReadonlyArray<string>;
  readonly rows: ReadonlyArray<{ readonly line: number; readonly cells: ReadonlyArray<string> }>;
  /** The folder (relative to docs/) holding the results.json the table comes from, if its link names one. */
  readonly folder?: string;
}

const cellsOf = (line: string): string[] => line.trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map((c) => c.trim());

/** The folder holding a results.json that a link target (relative to docs/) names: its own folder or one above it inside results/. */
const resultsFolder = (target: string): string | undefined => {
  const file = target.replace(/#.*$/, '');
  const path = resolve(docs, file);
  if (!path.startsWith(resultsDir + '/')) return undefined;
  let dir = (existsSync(path) ? statSync(path).isDirectory() : file.endsWith('/')) ? path : dirname(path);
  while (dir.startsWith(resultsDir + '/')) {
    if (existsSync(join(dir, 'results.json'))) return relative(docs, dir);
    dir = dirname(dir);
  }
  return undefined;
};

/** The doc's tables whose header's first cell starts with `row`, each with the results folder its nearest link into results/ names. */
const rowTables = (markdown: string): Table[] => {
  const lines = markdown.split('\n');
  const tables: Table[] = [];
  let fenced = false;
  let heading = '';
  // the last link into results/ since the current heading
  let lastLink: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
      continue;
    }
    if (fenced) continue;
    if (/^#{1,6} /.test(line)) {
      heading = line;
      lastLink = undefined;
      continue;
    }
    if (/^\s*\|/.test(line)) {
      const start = i;
      while (i + 1 < lines.length && /^\s*\|/.test(lines[i + 1]!)) i++;
      const header = cellsOf(lines[start]!);
      if (header[0]!.startsWith('row')) {
        const rows = lines.slice(start + 2, i + 1).map((l, k) => ({ line: start + 3 + k, cells: cellsOf(l) }));
        const folder = lastLink === undefined ? undefined : resultsFolder(lastLink);
        tables.push({ line: start + 1, heading, header, rows, ...(folder ? { folder } : {}) });
      }
      continue;
    }
    for (const m of line.matchAll(/\]\(([^)\s]+)\)/g)) if (resolve(docs, m[1]!).startsWith(resultsDir + '/')) lastLink = m[1]!;
  }
  return tables;
};

/** `0–2`, `0, 1, 2`, `0–4` → the seeds. */
const seedList = (spec: string): number[] =>
  spec.split(',').flatMap((part) => {
    const range = /^\s*(\d+)\s*[–-]\s*(\d+)\s*$/.exec(part);
    if (range) return Array.from({ length: Number(range[2]) - Number(range[1]) + 1 }, (_, k) => Number(range[1]) + k);
    return [Number(part.trim())];
  });

const seedsSuffix = /\s*\((?:seeds )?(\d[\d,–\- ]*)\)$/;

/** A label without bold and its trailing seed list, and that seed list. */
const splitLabel = (cell: string): { label: string; seeds?: number[] } => {
  const plain = cell.replace(/\*\*/g, '').trim();
  const m = seedsSuffix.exec(plain);
  return m ? { label: plain.slice(0, m.index), seeds: seedList(m[1]!) } : { label: plain };
};

/** A number as the report prints it at `digits` decimals (no `-0`). */
const printed = (x: number, digits: number): string => {
  const s = x.toFixed(digits);
  return Number(s) === 0 ? (0).toFixed(digits) : s;
};
const normalised = (s: string): string => {
  const t = s.replace(/−/g, '-');
  return Number(t) === 0 ? t.replace(/^-/, '') : t;
};
const decimals = (s: string): number => s.split('.')[1]?.length ?? 0;

const number = String.raw`[-−]?\d+(?:\.\d+)?`;
const cellPattern = new RegExp(String.raw`^(${number}) ± (${number})(?: \(([^)]*)\))?$`);

/** What checking a table found: numbers compared, and every label, header or number that does not match. */
interface Outcome {
  readonly rows: number;
  readonly cells: number;
  readonly numbers: number;
  readonly problems: string[];
}

const checkTable = (t: Table): Outcome => {
  const name = `${docFile}:${t.line} (under "${t.heading.replace(/^#+ /, '')}", ${t.folder}/results.json)`;
  const json = JSON.parse(readFileSync(join(docs, t.folder!, 'results.json'), 'utf8')) as { rows: Row[] };
  const problems: string[] = [];
  let cells = 0;
  let numbers = 0;
  const headerSeeds = /\(seeds ([\d,–\- ]+)\)/.exec(t.header[0]!);
  const unknown = t.header.slice(1).filter((h) => columns[h] === undefined);
  for (const h of unknown) problems.push(`${name}: column "${h}" is not mapped to a results.json number (add it to columns)`);
  for (const r of t.rows) {
    const { label, seeds } = splitLabel(r.cells[0]!);
    const where = `${name}, row "${r.cells[0]}" (line ${r.line})`;
    const rowName = rowNames[label];
    if (rowName === undefined) {
      problems.push(`${where}: label "${label}" is not mapped to a results.json row (add it to rowNames)`);
      continue;
    }
    const row = json.rows.find((x) => x.name === rowName);
    if (row === undefined) {
      problems.push(`${where}: results.json has no row "${rowName}"`);
      continue;
    }
    const tableSeeds = seeds ?? (headerSeeds ? seedList(headerSeeds[1]!) : undefined);
    if (tableSeeds === undefined) problems.push(`${where}: neither the header nor the label names the seeds`);
    else if (tableSeeds.join(',') !== row.seeds.join(',')) problems.push(`${where}: doc seeds ${tableSeeds.join(', ')}, results.json ${row.seeds.join(', ')}`);
    else numbers += tableSeeds.length;
    if (r.cells.length !== t.header.length) problems.push(`${where}: ${r.cells.length} cells under ${t.header.length} headers`);
    t.header.forEach((h, k) => {
      const column = columns[h];
      if (k === 0 || column === undefined) return;
      const cell = (r.cells[k] ?? '').replace(/\*\*/g, '').trim();
      const at = `${where}, column "${h}"`;
      // a dash where the row has no such number (the baseline's halves: it has no split)
      if (cell === '–') {
        if (column.pick(row) === undefined) cells++;
        else problems.push(`${at}: doc –, results.json has ${column.pick(row)!.mean}`);
        return;
      }
      const m = cellPattern.exec(cell);
      if (!m) {
        problems.push(`${at}: "${cell}" is not "mean ± std" or "mean ± std (per-seed values)"`);
        return;
      }
      cells++;
      const s = column.pick(row);
      if (s === undefined) {
        problems.push(`${at}: doc ${cell}, results.json has no such number`);
        return;
      }
      const compare = (what: string, doc: string, value: number) => {
        numbers++;
        const json = printed(column.scale * value, decimals(doc));
        if (json !== normalised(doc)) problems.push(`${at}, ${what}: doc ${doc}, results.json ${json} (${column.scale * value})`);
      };
      compare('mean', m[1]!, s.mean);
      compare('std', m[2]!, s.std);
      if (s.n !== row.seeds.length) problems.push(`${at}: results.json has n = ${s.n} for ${row.seeds.length} seeds`);
      if (m[3] !== undefined) {
        const perSeed = m[3].split(',').map((v) => v.trim());
        if (s.values === undefined) problems.push(`${at}: doc prints per-seed values (${m[3]}), results.json has none`);
        else if (perSeed.length !== s.values.length) problems.push(`${at}: doc prints ${perSeed.length} per-seed values, results.json has ${s.values.length}`);
        else perSeed.forEach((v, j) => compare(`seed ${row.seeds[j]}`, v, s.values![j]!));
      }
    });
  }
  return { rows: t.rows.length, cells, numbers, problems };
};

const tables = rowTables(readFileSync(join(docs, 'results.md'), 'utf8'));
const checked = tables.filter((t) => t.folder !== undefined);

/**
 * What the doc holds today: the Fashion-MNIST and photo reproduce tables (3
 * rows each, 7 columns) with their R²-per-half tables (3 rows, 6 columns),
 * the two systems tables (13 rows each, 7 columns) and their K ablations (3
 * rows each, 4 columns): 8 tables, 44 rows, a mean and a std per cell, plus
 * the seeds of every row. A parser that finds fewer has stopped reading the
 * doc; more (a new table) is welcome.
 */
const atLeast = { tables: 8, rows: 44, cells: 2 * (3 * 7 + 3 * 6) + 13 * 7 + 13 * 7 + 3 * 4 + 3 * 4 };

describe(`${docFile}: every results table is the results.json its link names`, () => {
  it(`finds at least ${atLeast.tables} results tables of ${atLeast.rows} rows, and leaves out only tables whose link names no results.json`, () => {
    expect(checked.length).toBeGreaterThanOrEqual(atLeast.tables);
    expect(checked.reduce((n, t) => n + t.rows.length, 0)).toBeGreaterThanOrEqual(atLeast.rows);
    // the tables left out today are the PyTorch mirror's screens (`row (mirror, …)`), linked to their table.md or
    // folder; another table left out is a results table that lost its link, or a new kind of table to name here
    const leftOut = tables.filter((x) => x.folder === undefined && !x.header[0]!.startsWith('row (mirror'));
    expect(leftOut.map((t) => `${docFile}:${t.line} "${t.header[0]}" has no link to a folder with a results.json above it`)).toEqual([]);
  });

  for (const t of checked) {
    it(`${docFile}:${t.line} (${t.folder}): every row label and header is mapped, every mean ± std and seed list matches results.json`, () => {
      const outcome = checkTable(t);
      expect(outcome.problems).toEqual([]);
      expect(outcome.rows).toBeGreaterThan(0);
      expect(outcome.cells).toBe(outcome.rows * (t.header.length - 1));
    });
  }

  it(`compares at least ${atLeast.cells} cells, each mean and std`, () => {
    const outcomes = checked.map(checkTable);
    const cells = outcomes.reduce((n, o) => n + o.cells, 0);
    const numbers = outcomes.reduce((n, o) => n + o.numbers, 0);
    expect(cells).toBeGreaterThanOrEqual(atLeast.cells);
    // a mean and a std per cell, the seeds of every row
    expect(numbers).toBeGreaterThanOrEqual(2 * atLeast.cells + 3 * atLeast.rows);
  });
});
