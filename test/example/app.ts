import { after } from 'node:test';
import { EXAMPLE_ROUTES } from '../../src/example/plugin.ts';
import { withApp } from '../helpers/app.ts';

/** The platform's app with the example's routes: withApp (test/helpers/app.ts), as the service runs it. */
export const withExample = (t: Parameters<typeof withApp>[0] = { after }) => withApp(t, { routes: EXAMPLE_ROUTES });
