import { fileURLToPath } from 'node:url';

/** The repository root, with a trailing slash: the folder that holds package.json. */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));
