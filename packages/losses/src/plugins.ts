/**
 * The loss plugins of this package, and their names in the typed registry.
 *
 * @since 0.1.0
 */
import type { AnyPlugin } from '@equissl/core';
import { barlowTwins } from './barlow-twins.js';
import { simclr } from './simclr.js';
import { vicreg } from './vicreg.js';

declare module '@equissl/core' {
  interface LossPlugins {
    vicreg: typeof vicreg;
    simclr: typeof simclr;
    'barlow-twins': typeof barlowTwins;
  }
}

/** Every loss plugin of @equissl/losses. */
export const lossPlugins: ReadonlyArray<AnyPlugin> = [vicreg, simclr, barlowTwins];
