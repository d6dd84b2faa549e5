/**
 * The addon's kernels besides the matrix products, one family per module
 * (attention, element-wise, convolution), listed here for
 * `installOpenBlasKernels`.
 *
 * @since 0.1.0
 */
import { attentionKernels } from './attention-kernels.js';
import { convKernels } from './conv-kernels.js';
import { elementwiseKernels } from './elementwise-kernels.js';
import type { NativeKernel } from './kernel-support.js';

/** Every kernel of the addon besides `BatchMatMul` and `_FusedMatMul`. */
export const otherNativeKernels: ReadonlyArray<NativeKernel> = [...attentionKernels, ...convKernels, ...elementwiseKernels];
