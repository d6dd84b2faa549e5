/**
 * The paper's reference numbers (Wang et al., AAAI 2026): Table 2's R² of θ
 * per family (ViT-S/16 on ImageNet) and homography estimation on S-COCO
 * (Mean Corner Error). They belong to the lab's reports, which set this
 * project's runs beside the paper; a user's `equissl eval` report shows
 * only their own numbers.
 *
 * @since 0.2.0
 */

/** The paper's Table 2 (ViT-S/16, ImageNet): R² rot / colour / blur / trans / mean. */
export const paperTable2 = [
  { configuration: 'SIE(all) — paper', rotation: 0.331, colour: 0.899, blur: 0.211, translation: 0.925, mean: 0.592 },
  { configuration: 'cross-attention reconstruction (2024) — paper', rotation: 0.893, colour: 0.921, blur: 0.823, translation: 0.875, mean: 0.878 },
  { configuration: 'ours (SIE, all, rot) — paper', rotation: 0.998, colour: 0.923, blur: 0.969, translation: 0.98, mean: 0.968 },
] as const;

/** The paper's homography estimation on S-COCO (Mean Corner Error, px, 128-px crops, ρ = 32). */
export const paperHomography = [
  { configuration: 'Ours(DINOv2) — paper', mce: 1.42 },
  { configuration: 'DINOv2 — paper', mce: 1.68 },
  { configuration: 'iBOT — paper', mce: 1.76 },
] as const;

/** A row of Table 2 without its name: R² per family and the mean. */
export const table2R2 = (row: (typeof paperTable2)[number]) => ({ rotation: row.rotation, colour: row.colour, blur: row.blur, translation: row.translation, mean: row.mean });

const r2Families = ['rotation', 'colour', 'blur', 'translation', 'mean'] as const;

/** Table 2 as markdown. */
const table2Markdown = (): string[] => [
  "### R² of θ (the paper's Table 2: ViT-S/16 pretrained on ImageNet at 224 px)",
  '',
  '| configuration | rot | colour | blur | trans | mean |',
  '|---|---|---|---|---|---|',
  ...paperTable2.map((p) => `| ${p.configuration} | ${r2Families.map((f) => p[f].toFixed(3)).join(' | ')} |`),
  '',
];

/** The homography numbers as markdown. */
const homographyMarkdown = (): string[] => [
  "### Homography estimation (S-COCO, 128-px crops, ρ = 32)",
  '',
  '| configuration | MCE (px) |',
  '|---|---|',
  ...paperHomography.map((p) => `| ${p.configuration} | ${p.mce.toFixed(2)} |`),
  '',
  "Compare them with the zero predictor's MCE of the same data (about 0.77 ρ), not in pixels.",
  '',
];

/** The paper's numbers for a report that has R² (`r2`) or Mean Corner Error (`mce`); none when it has neither. */
export const paperMarkdown = (has: { readonly r2: boolean; readonly mce: boolean }): string[] =>
  has.r2 || has.mce
    ? [
        "## The paper's reference numbers",
        '',
        'From hundreds of epochs of ImageNet pretraining at 224 px: compare the direction and size of each gap with this run, not the levels.',
        '',
        ...(has.r2 ? table2Markdown() : []),
        ...(has.mce ? homographyMarkdown() : []),
      ]
    : [];
