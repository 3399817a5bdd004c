import { IDENTITY } from '../../../src/identity.ts';

/**
 * What the task definition relies on in the image that the Dockerfile builds. test/container reads the
 * Dockerfile and checks it against these values, so that the two cannot drift apart.
 */
export const IMAGE_CONTRACT = {
  /** The port the server listens on (its PORT default) and the Dockerfile EXPOSEs. */
  port: IDENTITY.port,
  /** The Dockerfile's USER, which ships with the node base image (uid 1000). */
  user: 'node',
  /** The Dockerfile's WORKDIR, where it copies dist/ (the bundle, with every dependency inside) and package.json. */
  workdir: '/app',
  /** Run by the task definition's container health check: node on PATH, the script compiled from src/healthcheck.ts. */
  healthCheckCommand: ['node', '/app/dist/healthcheck.js'],
  /** The server's health route: 200 while serving, 503 once shutdown begins. */
  healthPath: IDENTITY.healthPath,
} as const;
