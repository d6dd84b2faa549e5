/**
 * The backbone plugins of this package, and their names in the typed registry.
 *
 * @since 0.1.0
 */
import { type AnyPlugin, fromModule } from '@equissl/core';
import type { BackboneFactory } from './backbone.js';
import { vit, vitMicro, vitSmall, vitTiny } from './presets.js';

declare module '@equissl/core' {
  interface KindInstances {
    backbone: BackboneFactory;
  }
  interface BackbonePlugins {
    'vit-micro': typeof vitMicro;
    'vit-tiny': typeof vitTiny;
    'vit-small': typeof vitSmall;
    vit: typeof vit;
  }
}

/** Every backbone plugin of @equissl/backbones. */
export const backbonePlugins: ReadonlyArray<AnyPlugin> = fromModule(import.meta.url, [vitMicro, vitTiny, vitSmall, vit]);
