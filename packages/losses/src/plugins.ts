/**
 * The loss plugins of this package, and their names in the typed registry.
 *
 * @since 0.1.0
 */
import { type AnyPlugin, fromModule } from '@equissl/core';
import { barlowTwins } from './barlow-twins.js';
import { dinov2 } from './dinov2.js';
import { ibot } from './ibot.js';
import type { SslLoss } from './objective.js';
import { sie } from './sie.js';
import { simclr } from './simclr.js';
import { stl } from './stl.js';
import { vicreg } from './vicreg.js';

declare module '@equissl/core' {
  interface KindInstances {
    loss: SslLoss;
  }
  interface LossPlugins {
    vicreg: typeof vicreg;
    simclr: typeof simclr;
    'barlow-twins': typeof barlowTwins;
    sie: typeof sie;
    ibot: typeof ibot;
    dinov2: typeof dinov2;
    stl: typeof stl;
  }
}

/** Every loss plugin of @equissl/losses. */
export const lossPlugins: ReadonlyArray<AnyPlugin> = fromModule(import.meta.url, [vicreg, simclr, barlowTwins, sie, ibot, dinov2, stl]);
