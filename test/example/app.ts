import { EXAMPLE_ROUTES } from '../../src/example/plugin.ts';
import { withTarget } from '../helpers/target.ts';

/**
 * The example's routes as the contract suites reach them: the platform's app with them, as the service runs it, in
 * process; or the service at ACCEPTANCE_BASE_URL (test/helpers/target.ts).
 */
export const exampleTarget = () => withTarget({ routes: EXAMPLE_ROUTES });
