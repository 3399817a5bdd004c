/**
 * The service's identity: the one file that spells its name. Everything else is derived from it: the package name
 * (held to it by test/identity.test.ts), the OpenAPI title, stack ids, tags, SSM paths, image names and labels, log
 * group and dashboard names, the pipeline's targets and user agents. `npm run rename -- <slug>` rewrites it, and
 * docs/make-it-yours.md says what else to change when you make this template your own service.
 */

/** A request that a deployed service must answer as expected: the smoke test and the synthetic check both run these. */
export interface Check {
  /** The path and query, from the service's root. */
  readonly path: string;
  readonly status: number;
  /** The whole JSON body. */
  readonly body?: unknown;
  /** Fields the JSON body must hold with these values; it may hold others. */
  readonly fields?: Readonly<Record<string, unknown>>;
  /** Text the body must contain. */
  readonly contains?: string;
  /** How the Content-Type header must start. */
  readonly contentType?: string;
}

export interface Identity {
  /** PascalCase: stack ids (`<id>-Staging-Service`) and other CloudFormation names. */
  readonly id: string;
  /** kebab-case: the package, the image, tags, SSM paths, user agents. */
  readonly slug: string;
  /** For people: the OpenAPI title, page titles, resource descriptions. */
  readonly name: string;
  /** One sentence: what the service does. */
  readonly description: string;
  /** The GitHub repository the pipeline watches, unless `-c githubRepo` names another. */
  readonly githubRepo: string;
  /** The port the server listens on, unless PORT says otherwise; the container's port. */
  readonly port: number;
  /** Answers 200 while the service takes traffic: the load balancer's and the container's health check. */
  readonly healthPath: string;
  /** Run against every deployed environment, in this order. */
  readonly checks: readonly Check[];
}

export const IDENTITY: Identity = {
  id: 'ClockMirror',
  slug: 'clock-mirror',
  name: 'Clock Mirror',
  description: 'Tells the real time from a clock seen in a mirror.',
  githubRepo: 'clock-mirror',
  port: 8080,
  healthPath: '/health',
  checks: [
    { path: '/health', status: 200, body: { status: 'ok' } },
    { path: '/', status: 200, contentType: 'text/html', contains: 'swagger-ui' },
    { path: '/clock?mirror_time=12:22', status: 200, body: { mirror_time: '12:22', actual_time: '11:38' } },
    { path: '/clock?mirror_time=12:00', status: 200, body: { mirror_time: '12:00', actual_time: '12:00' } },
    { path: '/clock?mirror_time=01:50', status: 200, body: { mirror_time: '01:50', actual_time: '10:10' } },
    {
      path: '/clock?mirror_time=13:20',
      status: 400,
      fields: { statusCode: 400, error: 'Bad Request' },
      contains: 'mirror_time',
    },
  ],
};
