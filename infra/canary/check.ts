/**
 * The synthetic check: what a client sees through the load balancer, checked to the byte. CloudWatch Synthetics runs
 * it every 5 minutes (infra/lib/service/synthetic-check.ts bundles it into the canary); `npm run canary -- <url>` runs
 * the same handler here through tools/synthetics-local.
 */
import type { IncomingMessage } from 'node:http';
import synthetics from 'Synthetics';
import log from 'SyntheticsLogger';
import { IDENTITY } from '../../src/identity.ts';
import {
  CACHE_BYPASS_HEADER,
  cacheBypassValue,
  expectation,
  stepName,
  verify,
} from '../../tools/post-deploy-checks.ts';

/** Response bodies above this are not the API's answer; reading no further bounds a misbehaving target. */
const MAX_BODY_BYTES = 64 * 1024;

export async function handler(): Promise<void> {
  const serviceUrl = process.env.SERVICE_URL;
  if (serviceUrl === undefined || serviceUrl === '') throw new Error('SERVICE_URL is not set');
  const base = new URL(serviceUrl);
  if (base.protocol !== 'http:' && base.protocol !== 'https:')
    throw new Error(`SERVICE_URL ${serviceUrl} is not http(s)`);
  const protocol = base.protocol;
  // A per-run id the service logs as requestId: the saved query "one request" finds the canary's own lines.
  const runId = `synthetic-${Date.now().toString(36)}`;
  // Past the edge cache: a deployment's rollback alarm must judge the revision that answers now.
  const bypass = cacheBypassValue();

  for (const [index, check] of IDENTITY.checks.entries()) {
    const step = stepName(check, index);
    await synthetics.executeHttpStep(
      step,
      {
        protocol,
        hostname: base.hostname,
        port: base.port === '' ? (protocol === 'https:' ? 443 : 80) : Number(base.port),
        path: check.path,
        method: 'GET',
        // The WAF's common rule set blocks requests without a User-Agent.
        headers: {
          'user-agent': `${IDENTITY.slug}-synthetic-check`,
          'x-request-id': `${runId}-${step}`,
          [CACHE_BYPASS_HEADER]: bypass,
        },
        timeout: 10_000,
      },
      async (response) => {
        const text = await readBody(response);
        const problem = verify(check, {
          status: response.statusCode ?? 0,
          contentType: response.headers['content-type'] ?? '',
          text,
        });
        if (problem !== undefined) throw new Error(`${check.path}: expected ${expectation(check)}, ${problem}`);
        log.info(`${check.path}: ${response.statusCode} ${text.slice(0, 200)}`);
      },
    );
  }
}

async function readBody(response: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of response.setEncoding('utf8') as AsyncIterable<string>) {
    body += chunk;
    if (body.length > MAX_BODY_BYTES) {
      response.destroy();
      throw new Error(`the body exceeds ${MAX_BODY_BYTES} bytes`);
    }
  }
  return body;
}
