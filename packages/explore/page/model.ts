/**
 * An exported model in TensorFlow.js: what `equissl export --format tfjs
 * --decoders` writes (docs/export.md), loaded from its model.json and run
 * with plain TF.js ops — the ViT's forward pass as docs/export.md writes it
 * out, the neck, the split `[z_inv | z_equi]`, and the K conv4 decoders that
 * read `[z_equi(v1) ; z_equi(v2)]` per patch token. No DOM: the tests run it
 * in Node against equissl's own model.
 */
import * as tf from '@tensorflow/tfjs';

/** `userDefinedMetadata.architecture` of model.json. */
export interface VitArchitecture {
  readonly imageSize: number;
  readonly patchSize: number;
  readonly channels: number;
  readonly dim: number;
  readonly depth: number;
  readonly heads: number;
  readonly mlpHidden: number;
  readonly layerNormEps: number;
}

/** `userDefinedMetadata.reconstruction` (null: trained with `reconstruction: off`). */
export interface Reconstruction {
  readonly k: number;
  readonly target: 'pixels' | 'normalised';
  readonly decoder: { readonly name: string; readonly channels: number; readonly input: 'tokens' | 'pooled' };
  readonly inDim: number;
  readonly grid: number;
  readonly patchSize: number;
  readonly outChannels: number;
}

/** `userDefinedMetadata.path`: the family the decoders were trained on. */
export interface PathInfo {
  readonly name: string;
  readonly config: Readonly<Record<string, unknown>>;
  readonly paramNames: ReadonlyArray<string>;
  readonly scale: ReadonlyArray<number>;
}

/** The metadata this page reads. */
export interface ModelMetadata {
  readonly format: string;
  readonly architecture: VitArchitecture;
  readonly neck: 'none' | 'linear';
  readonly split: { readonly dInv: number; readonly dEqui: number };
  readonly source: { readonly checkpoint: string; readonly step: number };
  readonly config: unknown;
  /** Absent in an export made without `--decoders`. */
  readonly reconstruction?: Reconstruction | null;
  readonly path?: PathInfo;
}

/** A loaded model: its weights by name and its metadata. */
export interface ExportedModel {
  readonly weights: tf.NamedTensorMap;
  readonly meta: ModelMetadata;
}

/** The format tag of `equissl export`. */
export const encoderFormat = 'equissl-encoder/1';

/** Loads `…/model.json` and its shards (`fetchFunc`: a fetch for hosts without one, e.g. reading files in tests). */
export const loadModel = async (url: string, fetchFunc?: typeof fetch): Promise<ExportedModel> => {
  const artifacts = await tf.io.http(url, fetchFunc === undefined ? {} : { fetchFunc }).load!();
  if (artifacts.weightData === undefined || artifacts.weightSpecs === undefined) throw new Error(`${url} lists no weights`);
  const meta = artifacts.userDefinedMetadata as ModelMetadata | undefined;
  if (meta?.format !== encoderFormat) throw new Error(`${url} is not an equissl export (format ${String(meta?.format)}); write it with equissl export --format tfjs --decoders`);
  return { weights: tf.io.decodeWeights(artifacts.weightData, artifacts.weightSpecs), meta };
};

const weight = (m: ExportedModel, name: string): tf.Tensor => {
  const t = m.weights[name];
  if (t === undefined) throw new Error(`the export has no tensor ${name}`);
  return t;
};

/** `x @ W + b` over the last axis (dense weights are stored `[in, out]`). */
const dense = (m: ExportedModel, x: tf.Tensor, layer: string): tf.Tensor => {
  const w = weight(m, `${layer}.weight`);
  const rows = tf.reshape(x, [-1, w.shape[0]!]) as tf.Tensor2D;
  return tf.reshape(tf.add(tf.matMul(rows, w as tf.Tensor2D), weight(m, `${layer}.bias`)), [...x.shape.slice(0, -1), w.shape[1]!]);
};

/** GELU with erf. */
const gelu = (x: tf.Tensor): tf.Tensor => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.div(x, Math.SQRT2))));

/** The split representation of images `[B, H, W, C]` in [0, 1]: cls `[B, D]` and patch tokens `[B, N, D]`, backbone output and after the neck. */
export interface Features {
  readonly cls: tf.Tensor2D;
  readonly patches: tf.Tensor3D;
  /** After the neck (the backbone's output itself with `neck: none`). */
  readonly neckCls: tf.Tensor2D;
  readonly neckPatches: tf.Tensor3D;
}

/** The ViT forward pass of docs/export.md, then the neck. */
export const features = (m: ExportedModel, images: tf.Tensor4D): Features =>
  tf.tidy(() => {
    const a = m.meta.architecture;
    const w = (name: string) => weight(m, name);
    const b = images.shape[0];
    const p = a.patchSize;
    const g = a.imageSize / p;
    const n = g * g;
    const d = a.dim;
    const hd = d / a.heads;
    const norm = (x: tf.Tensor, layer: string): tf.Tensor => {
      const { mean, variance } = tf.moments(x, -1, true);
      return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, a.layerNormEps))), w(`${layer}.weight`)), w(`${layer}.bias`));
    };
    const patches = tf.reshape(tf.transpose(tf.reshape(images, [b, g, p, g, p, a.channels]), [0, 1, 3, 2, 4, 5]), [b, n, p * p * a.channels]);
    let x = dense(m, patches, 'encoder.patchEmbed');
    x = tf.add(tf.concat([tf.tile(w('encoder.clsToken'), [b, 1, 1]), x], 1), w('encoder.posEmbed'));
    for (let i = 0; i < a.depth; i++) {
      const blk = `encoder.blocks.${i}`;
      const [q, k, v] = tf.unstack(tf.transpose(tf.reshape(dense(m, norm(x, `${blk}.norm1`), `${blk}.attn.qkv`), [b, n + 1, 3, a.heads, hd]), [2, 0, 3, 1, 4]));
      const attention = tf.softmax(tf.matMul(tf.mul(q!, 1 / Math.sqrt(hd)), k!, false, true));
      const merged = tf.reshape(tf.transpose(tf.matMul(attention, v!), [0, 2, 1, 3]), [b, n + 1, d]);
      x = tf.add(x, dense(m, merged, `${blk}.attn.proj`));
      x = tf.add(x, dense(m, gelu(dense(m, norm(x, `${blk}.norm2`), `${blk}.mlp.fc1`)), `${blk}.mlp.fc2`));
    }
    x = norm(x, 'encoder.norm');
    const cls = tf.reshape(tf.slice(x, [0, 0, 0], [b, 1, d]), [b, d]) as tf.Tensor2D;
    const tokens = tf.slice(x, [0, 1, 0], [b, n, d]) as tf.Tensor3D;
    const neck = m.meta.neck === 'linear';
    return {
      cls,
      patches: tokens,
      neckCls: (neck ? dense(m, cls, 'neck') : tf.clone(cls)) as tf.Tensor2D,
      neckPatches: (neck ? dense(m, tokens, 'neck') : tf.clone(tokens)) as tf.Tensor3D,
    };
  });

/** The eval suite's headline readout `clsmean-full`: `concat(cls, mean patch token)` of the backbone's output, `[B, 2·D]`. */
export const clsMeanFull = (f: Features): tf.Tensor2D => tf.tidy(() => tf.concat([f.cls, tf.mean(f.patches, 1)], 1) as tf.Tensor2D);

/** The equivariant channels of the patch tokens after the neck, `[B, N, dEqui]`. */
export const equiTokens = (m: ExportedModel, f: Features): tf.Tensor3D =>
  tf.tidy(() => {
    const { dInv, dEqui } = m.meta.split;
    return tf.slice(f.neckPatches, [0, 0, dInv], [-1, -1, dEqui]) as tf.Tensor3D;
  });

/** Upsamplings of conv4 for a patch size: one before the first conv at 16, then after convs 1, 2, 3 at ≥ 2, ≥ 4, ≥ 8 (docs/export.md). */
export const conv4Upsamplings = (patchSize: number): { before: number; after: readonly [boolean, boolean, boolean] } => {
  const ups = Math.log2(patchSize);
  if (!Number.isInteger(ups) || ups > 4) throw new Error(`patch size ${patchSize} is not a power of two up to 16`);
  return { before: ups >= 4 ? 1 : 0, after: [ups >= 1, ups >= 2, ups >= 3] };
};

/** Decoder `index` (0-based) on input tokens `[B, N, inDim]`: its reconstruction `[B, H, W, C]`. */
export const decode = (m: ExportedModel, index: number, tokens: tf.Tensor3D): tf.Tensor4D =>
  tf.tidy(() => {
    const r = m.meta.reconstruction;
    if (r === undefined || r === null) throw new Error('this export has no decoders');
    const prefix = `decoders.${index}.`;
    const ch = r.decoder.channels;
    const b = tokens.shape[0];
    const { before, after } = conv4Upsamplings(r.patchSize);
    const up = (x: tf.Tensor4D) => tf.image.resizeNearestNeighbor(x, [2 * x.shape[1], 2 * x.shape[2]]);
    let h =
      r.decoder.input === 'pooled'
        ? (tf.transpose(tf.reshape(dense(m, tf.mean(tokens, 1), `${prefix}linear`), [b, ch, r.grid, r.grid]), [0, 2, 3, 1]) as tf.Tensor4D)
        : (tf.reshape(dense(m, tokens, `${prefix}linear`), [b, r.grid, r.grid, ch]) as tf.Tensor4D);
    for (let i = 0; i < before; i++) h = up(h);
    for (let i = 0; i < 4; i++) {
      const layer = `${prefix}conv${i + 1}`;
      h = tf.add(tf.conv2d(h, weight(m, `${layer}.weight`) as tf.Tensor4D, 1, 'same'), weight(m, `${layer}.bias`)) as tf.Tensor4D;
      if (i < 3) {
        h = gelu(h) as tf.Tensor4D;
        if (after[i]) h = up(h);
      }
    }
    return h;
  });

/**
 * The K reconstructions of the path from x to g_θ(x): every decoder on
 * `[z_equi(x) ; z_equi(g_θ x)]`. Normalised targets are put back on the pixel
 * scale of their target (as `equissl pretrain`'s reconstructions.png shows
 * them); every image is clipped to [0, 1].
 */
export const reconstructions = (m: ExportedModel, fx: Features, fgx: Features, targets: ReadonlyArray<tf.Tensor4D>): tf.Tensor4D[] =>
  tf.tidy(() => {
    const r = m.meta.reconstruction;
    if (r === undefined || r === null) return [];
    const input = tf.concat([equiTokens(m, fx), equiTokens(m, fgx)], 2) as tf.Tensor3D;
    return Array.from({ length: r.k }, (_, i) => {
      let out = decode(m, i, input);
      const target = targets[i];
      if (r.target === 'normalised' && target !== undefined) {
        const { mean, variance } = tf.moments(target, [1, 2, 3], true);
        out = tf.add(tf.mul(out, tf.add(tf.sqrt(variance), 1e-6)), mean) as tf.Tensor4D;
      }
      return tf.clipByValue(out, 0, 1) as tf.Tensor4D;
    });
  });

/** Why a model shows no reconstructions, or undefined when it has decoders. */
export const noDecodersReason = (m: ExportedModel): string | undefined => {
  const r = m.meta.reconstruction;
  if (r === null) return 'No reconstructions: this checkpoint was trained with reconstruction: off (an invariant baseline), so it has no decoders.';
  if (r === undefined) return 'No reconstructions: this export was written without --decoders.';
  return undefined;
};
