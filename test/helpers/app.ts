import { after } from 'node:test';
import { buildApp, type App, type AppOptions } from '../../src/app.ts';

/**
 * The app, for `inject()` (which readies it; a test may add a route first), closed when `t` ends: in a test, `withApp(t)` gives that test its own app; at the top
 * of a file, `withApp()` gives the file's tests one app, closed after the last of them.
 */
/** A test, or the file: anything that runs a function once it ends. */
interface Scope {
  after(fn: () => unknown): void;
}

export async function withApp(t: Scope = { after }, options: AppOptions = {}): Promise<App> {
  const app = await buildApp(options);
  t.after(async () => app.close());
  return app;
}
