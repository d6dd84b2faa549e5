/**
 * The warp behind rotation, translation and SE(2): the 8 projective
 * coefficients `tf.image.transform` reads. Pure arithmetic with no imports,
 * so the explore page's browser bundle uses this same file
 * (`@equissl/transforms/affine-row`).
 *
 * @since 0.1.0
 */

/**
 * The 8 projective coefficients that map an output pixel to the input pixel
 * it samples, for content rotated by `angleDeg` about the centre and then
 * moved by (tx, ty).
 */
export const affineRow = (angleDeg: number, tx: number, ty: number, height: number, width: number): number[] => {
  const a = (angleDeg * Math.PI) / 180;
  const cos = Math.cos(a);
  const sin = Math.sin(a);
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  // forward (y down): p' = M (p − c) + c + t with M = [[cos, sin], [−sin, cos]];
  // inverse: p = M⁻¹ (p' − c − t) + c with M⁻¹ = [[cos, −sin], [sin, cos]]
  const ox = cx + tx;
  const oy = cy + ty;
  return [cos, -sin, cx - cos * ox + sin * oy, sin, cos, cy - sin * ox - cos * oy, 0, 0];
};
