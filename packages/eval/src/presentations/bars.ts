/**
 * The grouped bar chart of the built-in presentations (R² per family,
 * accuracy per probe): one column of bars per group, one bar per evaluated
 * checkpoint, as a Vega-Lite spec; and the number formats of their tables.
 *
 * @since 0.2.0
 */
import type { VegaLiteSpec } from '../presentation.js';

/** One bar: the checkpoint `label`'s `value` in column `group`. */
export interface Bar {
  readonly group: string;
  readonly label: string;
  readonly value: number;
}

/** Bars grouped in columns, coloured by checkpoint; `domain` fixes the value axis. */
export const barChart = (title: string, yTitle: string, values: ReadonlyArray<Bar>, domain?: readonly [number, number]): VegaLiteSpec => ({
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  title,
  width: { step: 28 },
  height: 260,
  data: { values: values.map((v) => ({ ...v })) },
  mark: 'bar',
  encoding: {
    x: { field: 'label', type: 'nominal', title: null, axis: { labels: false, ticks: false } },
    xOffset: { field: 'label' },
    column: { field: 'group', type: 'nominal', title: null, header: { labelOrient: 'bottom' } },
    y: { field: 'value', type: 'quantitative', title: yTitle, ...(domain ? { scale: { domain: [...domain] } } : {}) },
    color: { field: 'label', type: 'nominal', title: null },
  },
});

/** A table cell: `x` to `digits` decimals, `–` when missing. */
export const tableCell = (x: number | undefined, digits = 3): string => (x === undefined ? '–' : x.toFixed(digits));
