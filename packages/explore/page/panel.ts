/**
 * One model's panel: its title and what it is (step, decoders or why there
 * are none), the images x, g_θ(x), the path targets and the reconstructions,
 * predicted θ with the regressor's R², the scatter of the held-out pairs and
 * the loss curve. {@link showPoint} fills it for one point of the path.
 */
import type * as tf from '@tensorflow/tfjs';
import type { CurvesFile, FamilySpec, ModelEntry, RegressorFile } from '../src/manifest.js';
import { curveChart, scatterChart } from './charts.js';
import type { PathPoint } from './compute.js';
import { drawTensor, el, figure, formatTheta, gOf } from './draw.js';
import { type ExportedModel, noDecodersReason } from './model.js';

/** A model with everything the page loaded for it. */
export interface LoadedModel {
  readonly index: number;
  readonly entry: ModelEntry;
  readonly model: ExportedModel;
  readonly regressors: RegressorFile;
  readonly curves: CurvesFile;
  /** Path targets shown: the model's K, or the other model's for a model without decoders. */
  readonly k: number;
}

/** The point of a path a panel shows. */
export interface ShownPoint {
  readonly family: FamilySpec;
  /** The true value of θ's first parameter (the scatter's x), its name and unit (empty when it has none the page knows). */
  readonly value: number;
  readonly param: string;
  readonly unit: string;
  /** The scatter's range of true values. */
  readonly range: readonly [number, number];
}

/** The panel's elements that change with θ. */
export interface Panel {
  readonly root: HTMLElement;
  readonly x: HTMLCanvasElement;
  readonly transformed: HTMLCanvasElement;
  readonly targets: HTMLCanvasElement[];
  readonly reconstructions: HTMLCanvasElement[];
  readonly predicted: HTMLElement;
  readonly r2: HTMLElement;
  readonly scatter: HTMLElement;
  readonly familyNote: HTMLElement;
}

const fraction = (i: number, k: number): string => `${i === 1 ? '' : i}θ/${k + 1}`;

/** What the model is, in one line. */
const describe = (m: LoadedModel): string => {
  const r = m.model.meta.reconstruction;
  const path = m.model.meta.path?.name ?? 'its';
  const decoders = r === undefined || r === null ? 'no decoders' : `${r.k} decoder${r.k === 1 ? '' : 's'} on the ${path} path (${r.target} targets)`;
  return `step ${m.entry.step} · ${decoders} · split ${m.model.meta.split.dInv} invariant | ${m.model.meta.split.dEqui} equivariant channels`;
};

/** Builds the panel of `m`. */
export const buildPanel = (m: LoadedModel): Panel => {
  const id = (name: string) => `m${m.index}-${name}`;
  const x = figure(id('x'), ['x'], 'x');
  const transformed = figure(id('gx'), gOf('θ'), 'transformed');
  const targets = Array.from({ length: m.k }, (_, i) => figure(id(`target-${i + 1}`), gOf(fraction(i + 1, m.k)), 'target'));
  const reason = noDecodersReason(m.model);
  const recs = reason === undefined ? Array.from({ length: m.k }, (_, i) => figure(id(`rec-${i + 1}`), ['û', el('sub', {}, String(i + 1))], 'reconstruction')) : [];
  const predicted = el('span', { 'data-role': 'predicted-theta' });
  const r2 = el('span', { class: 'r2', 'data-role': 'r2' });
  const scatter = el('div', { class: 'chart' });
  const familyNote = el('p', { class: 'note', 'data-role': 'family-note', hidden: '' });
  const root = el(
    'section',
    { class: 'panel', id: id('panel'), 'data-model': String(m.index) },
    el('h2', { title: m.entry.checkpoint }, m.entry.label),
    el('p', { class: 'kind' }, describe(m)),
    el('div', { class: 'row' }, x.figure, transformed.figure),
    el('h3', {}, 'Path targets ', ...gOf('kθ/(K+1)'), `, k = 1…${m.k}`),
    el('div', { class: 'row' }, ...targets.map((t) => t.figure)),
    el('h3', {}, 'Reconstructions from [z', el('sub', {}, 'equi'), '(x) ; z', el('sub', {}, 'equi'), '(', ...gOf('θ'), ')]'),
    reason === undefined ? el('div', { class: 'row' }, ...recs.map((r) => r.figure)) : el('p', { class: 'no-decoders', 'data-role': 'no-decoders' }, reason),
    familyNote,
    el('h3', {}, 'θ from the features'),
    el('p', { class: 'theta' }, 'predicted ', predicted, ' · ', r2),
    scatter,
    el('h3', {}, 'Training loss'),
    el('div', { class: 'chart' }, curveChart(m.curves)),
  );
  return { root, x: x.canvas, transformed: transformed.canvas, targets: targets.map((t) => t.canvas), reconstructions: recs.map((r) => r.canvas), predicted, r2, scatter, familyNote };
};

/** Fills the panel for image `x` at the point `shown` of its family. */
export const showPoint = (panel: Panel, m: LoadedModel, shown: ShownPoint, x: tf.Tensor4D, point: PathPoint): void => {
  const { family, param, unit } = shown;
  drawTensor(panel.x, x);
  drawTensor(panel.transformed, point.transformed);
  point.targets.forEach((t, i) => panel.targets[i] !== undefined && drawTensor(panel.targets[i]!, t));
  point.reconstructions.forEach((r, i) => panel.reconstructions[i] !== undefined && drawTensor(panel.reconstructions[i]!, r));
  const reg = m.regressors.families[family.name];
  const p = point.predicted?.[0];
  panel.predicted.textContent = p === undefined ? '(no regressor for this path)' : `${param} = ${formatTheta(p, unit)}`;
  panel.predicted.dataset['value'] = p === undefined ? '' : String(p);
  const fromEval = m.regressors.eval?.r2[family.label] ?? m.regressors.eval?.r2[family.name];
  panel.r2.textContent =
    reg === undefined
      ? ''
      : `R² = ${reg.r2.toFixed(3)} (ridge on [f(x) ; f(g_θ x)], ${m.regressors.testPairs} held-out pairs)${fromEval === undefined ? '' : `; equissl eval: R² = ${fromEval.toFixed(3)}`}`;
  panel.scatter.replaceChildren(
    reg === undefined ? el('p', { class: 'note' }, 'no regressor for this path') : scatterChart(reg.test.truth, reg.test.predicted, shown.range, p === undefined ? undefined : [shown.value, p], unit === '' ? param : `${param}, ${unit}`),
  );
  const trained = m.model.meta.path?.name;
  const off = point.reconstructions.length > 0 && trained !== undefined && trained !== family.name;
  panel.familyNote.hidden = !off;
  panel.familyNote.textContent = off ? `These decoders were trained on the ${trained} path, not on ${family.name}: they still read both views' equivariant features, but were never asked to draw this path.` : '';
};
