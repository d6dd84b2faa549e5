/**
 * The page's two small SVG charts: the run's losses over steps (total, and
 * the `ssl` and `rec` terms when logged), and predicted θ against true θ
 * for the regressor's held-out pairs with the identity line and the
 * slider's current point.
 */
import type { CurvesFile } from '../src/manifest.js';

const ns = 'http://www.w3.org/2000/svg';
const width = 260;
const height = 150;
const pad = { left: 40, right: 8, top: 10, bottom: 24 };

const svgEl = (tag: string, attrs: Record<string, string | number>, text?: string): SVGElement => {
  const e = document.createElementNS(ns, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
};

const extent = (values: ReadonlyArray<number>): [number, number] => {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return lo === hi ? [lo - 1, hi + 1] : [lo, hi];
};

/** An empty chart with axes from x ∈ [x0, x1], y ∈ [y0, y1]; returns it and the mapping to pixels. */
const frame = (title: string, xs: [number, number], ys: [number, number], xLabel: string): { svg: SVGElement; at: (x: number, y: number) => [number, number] } => {
  const svg = svgEl('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': title });
  const at = (x: number, y: number): [number, number] => [
    pad.left + ((x - xs[0]) / (xs[1] - xs[0])) * (width - pad.left - pad.right),
    height - pad.bottom - ((y - ys[0]) / (ys[1] - ys[0])) * (height - pad.top - pad.bottom),
  ];
  svg.append(
    svgEl('rect', { x: pad.left, y: pad.top, width: width - pad.left - pad.right, height: height - pad.top - pad.bottom, class: 'plot' }),
    svgEl('text', { x: pad.left - 4, y: pad.top + 8, 'text-anchor': 'end', class: 'tick' }, ys[1].toPrecision(3)),
    svgEl('text', { x: pad.left - 4, y: height - pad.bottom, 'text-anchor': 'end', class: 'tick' }, ys[0].toPrecision(3)),
    svgEl('text', { x: pad.left, y: height - 8, class: 'tick' }, xs[0].toPrecision(3)),
    svgEl('text', { x: width - pad.right, y: height - 8, 'text-anchor': 'end', class: 'tick' }, xs[1].toPrecision(3)),
    svgEl('text', { x: (pad.left + width) / 2, y: height - 8, 'text-anchor': 'middle', class: 'axis' }, xLabel),
  );
  return { svg, at };
};

/** The losses over steps, or a sentence saying why there are none. */
export const curveChart = (curves: CurvesFile): Element => {
  if (curves.points.length === 0) {
    const p = document.createElement('p');
    p.className = 'note';
    p.textContent = `No loss curve: ${curves.note ?? 'no steps logged'}.`;
    return p;
  }
  const series = (['loss', 'ssl', 'rec'] as const).filter((k) => curves.points.some((p) => p[k] !== undefined));
  const steps = curves.points.map((p) => p.step);
  const values = curves.points.flatMap((p) => series.map((k) => p[k]).filter((v): v is number => v !== undefined));
  const { svg, at } = frame('loss over steps', extent(steps), extent(values), 'step');
  series.forEach((k, i) => {
    const pts = curves.points.filter((p) => p[k] !== undefined).map((p) => at(p.step, p[k]!).join(','));
    svg.append(svgEl('polyline', { points: pts.join(' '), class: `line s${i}` }));
    svg.append(svgEl('text', { x: width - pad.right - 4, y: pad.top + 12 + 11 * i, 'text-anchor': 'end', class: `legend s${i}` }, k === 'loss' ? 'total' : k));
  });
  svg.setAttribute('data-role', 'curves');
  return svg;
};

/** Predicted against true θ (its first parameter) of the held-out pairs over at least `range`, the line y = x, and the current point. */
export const scatterChart = (truth: ReadonlyArray<number>, predicted: ReadonlyArray<number>, range: readonly [number, number], current: [number, number] | undefined, what: string): Element => {
  const xs = extent([range[0], range[1], ...truth, ...(current === undefined ? [] : [current[0]])]);
  const lo = Math.min(xs[0], ...predicted, ...(current ?? []));
  const hi = Math.max(xs[1], ...predicted, ...(current ?? []));
  const { svg, at } = frame('predicted θ against true θ', xs, [lo, hi], `true θ (${what})`);
  const [x0, y0] = at(xs[0], xs[0]);
  const [x1, y1] = at(xs[1], xs[1]);
  svg.append(svgEl('line', { x1: x0, y1: y0, x2: x1, y2: y1, class: 'identity' }));
  truth.forEach((t, i) => {
    const [x, y] = at(t, predicted[i]!);
    svg.append(svgEl('circle', { cx: x, cy: y, r: 2, class: 'pair' }));
  });
  if (current !== undefined) {
    const [x, y] = at(current[0], current[1]);
    svg.append(svgEl('circle', { cx: x, cy: y, r: 5, class: 'current' }));
  }
  svg.append(svgEl('text', { x: pad.left + 4, y: pad.top + 12, class: 'legend' }, 'predicted'));
  svg.setAttribute('data-role', 'scatter');
  return svg;
};
