/**
 * The decoder plugins of this package, and their names in the typed registry.
 *
 * @since 0.1.0
 */
import { type AnyPlugin, fromModule } from '@equissl/core';
import { type DecoderFactory, conv4 } from './decoder.js';

declare module '@equissl/core' {
  interface KindInstances {
    decoder: DecoderFactory;
  }
  interface DecoderPlugins {
    conv4: typeof conv4;
  }
}

/** Every decoder plugin of @equissl/decoders. */
export const decoderPlugins: ReadonlyArray<AnyPlugin> = fromModule(import.meta.url, [conv4]);
