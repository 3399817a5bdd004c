/**
 * The example: the mirror-clock puzzle, its drawn clocks and the /mirror page, as one set of routes that
 * src/service.ts plugs into the platform. Nothing outside this folder and test/example/ depends on it, and
 * `npm run rename -- <slug> --drop-example` removes both (docs/make-it-yours.md).
 */
import type { ServiceRoutes } from '../app.ts';
import { addPageHeaders } from '../headers.ts';
import { clockRoutes } from './routes/clock.ts';
import { clockSvgRoutes } from './routes/clock-svg.ts';
import { mirrorPageRoutes } from './routes/mirror-page.ts';

export const EXAMPLE_ROUTES: ServiceRoutes = {
  plugin: async (app) => {
    await app.register(clockRoutes);
    // What a browser renders as a document gets the headers documents need; the API's answers do without them.
    await app.register(async (pages) => {
      pages.addHook('onRequest', addPageHeaders);
      await pages.register(clockSvgRoutes);
      await pages.register(mirrorPageRoutes);
    });
  },
  tags: [
    {
      name: 'clock',
      description:
        'The puzzle. Peter sees the office clock in a mirror: when it shows 12:22, the real time is 11:38. ' +
        '[See the clocks drawn](/mirror).',
    },
  ],
};
