import { Type } from 'typebox';

/** Every 4xx and 5xx body has this shape (src/errors.ts writes it). */
export const ErrorBody = Type.Object(
  {
    statusCode: Type.Integer({ examples: [400] }),
    error: Type.String({ examples: ['Bad Request'] }),
    message: Type.String({
      examples: ['no route for GET "/nowhere": see /openapi.json for the API'],
    }),
  },
  { description: 'What was wrong with the request, and what is expected.' },
);

/** The 400 of every route with a query schema. */
export const BadQuery = { ...ErrorBody, description: 'The query is missing, malformed or has unknown parameters.' };
