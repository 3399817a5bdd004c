import { IDENTITY } from '../../../src/identity.ts';

/** A CPU architecture, as OCI platforms name it (`linux/<architecture>`). */
export type Architecture = 'amd64' | 'arm64';

/**
 * What the task definition relies on in the image that the Dockerfile builds. test/container reads the
 * Dockerfile and checks it against these values, so that the two cannot drift apart.
 */
export const IMAGE_CONTRACT = {
  /**
   * The architecture the tasks run on and the pipeline builds on, natively: Graviton, about 20 % cheaper than x86_64
   * per vCPU-hour and GB-hour, for a bundle that is pure JavaScript. The container suite also builds and runs the image
   * for it (under emulation on an x86_64 host).
   */
  architecture: 'arm64' as Architecture,
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
