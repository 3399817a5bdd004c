import { Type } from 'typebox';
import { EXPECTED } from '../../errors.ts';
import { EXPECTED_TIME, TIME_MAX_LENGTH, TIME_PATTERN } from '../mirror.ts';
import { WORKED_EXAMPLES } from '../worked-examples.ts';

/** The puzzle's own example, 12:22 in the mirror, for every schema that shows one. */
export const [EXAMPLE_MIRROR_TIME, EXAMPLE_ACTUAL_TIME] = WORKED_EXAMPLES[0];

/** A clock time as the API accepts it; shared by every route that takes one. */
export const timeParameter = (description: string) =>
  Type.String({
    pattern: TIME_PATTERN,
    maxLength: TIME_MAX_LENGTH,
    description: `${description} Format: ${EXPECTED_TIME}; a one-digit hour is accepted.`,
    examples: [EXAMPLE_MIRROR_TIME],
    // The end of every 400 about this parameter (src/errors.ts).
    [EXPECTED]: EXPECTED_TIME,
  });
