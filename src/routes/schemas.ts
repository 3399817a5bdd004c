import { Type } from 'typebox';

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
      examples: ['no route for GET "/nowhere": see /openapi.json for the API'],
    }),
  },
  { $id: ERROR_BODY_ID, description: 'What was wrong with the request, and what is expected.' },
);

/** An error answer, documented with the shared ErrorBody and what this status means here. */
export const errorResponse = (description: string) => Type.Ref(ERROR_BODY_ID, { description });

/** The 400 of every route with a query schema. */
export const BadQuery = errorResponse('The query is missing, malformed or has unknown parameters.');
