import { Type } from 'typebox';
import { EXPECTED_FORMAT, TIME_MAX_LENGTH, TIME_PATTERN } from '../mirror.ts';
import { WORKED_EXAMPLES } from '../worked-examples.ts';

/** The puzzle's own example, 12:22 in the mirror, for every schema that shows one. */
export const [EXAMPLE_MIRROR_TIME, EXAMPLE_ACTUAL_TIME] = WORKED_EXAMPLES[0];

const TIME_FORMAT = `${EXPECTED_FORMAT.replace('expected ', '')}; a one-digit hour is accepted`;

/** A clock time as the API accepts it; shared by every route that takes one. */
export const timeParameter = (description: string) =>
  Type.String({
    pattern: TIME_PATTERN,
    maxLength: TIME_MAX_LENGTH,
    description: `${description} Format: ${TIME_FORMAT}.`,
    examples: [EXAMPLE_MIRROR_TIME],
  });

const ERROR_BODY_ID = 'ErrorBody';

/**
 * Every 4xx and 5xx body has this shape (src/errors.ts writes it). The app registers it once (`app.addSchema`), and
 * each error answer refers to it with errorResponse(): the OpenAPI document holds it once, in components.schemas,
 * where a generated client makes one type of it.
 */
export const ErrorBody = Type.Object(
  {
    statusCode: Type.Integer({ examples: [400] }),
    error: Type.String({ examples: ['Bad Request'] }),
    message: Type.String({
      examples: [`mirror_time "13:20" is not a valid time: ${EXPECTED_FORMAT}`],
    }),
  },
  { $id: ERROR_BODY_ID, description: 'What was wrong with the request, and what is expected.' },
);

/** An error answer, documented with the shared ErrorBody and what this status means here. */
export const errorResponse = (description: string) => Type.Ref(ERROR_BODY_ID, { description });

/** The 400 of every route with a query schema. */
export const BadQuery = errorResponse('The query is missing, malformed or has unknown parameters.');
