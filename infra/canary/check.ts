/**
 * The synthetic check: what a client sees through the load balancer, checked to the byte. CloudWatch Synthetics runs
 * it every 5 minutes (infra/lib/service/synthetic-check.ts bundles it into the canary); `npm run canary -- <url>` runs
 * the same handler here through tools/synthetics-local.
 */
import { deepStrictEqual } from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import synthetics from 'Synthetics';
import log from 'SyntheticsLogger';

/** Each request and the exact JSON body it must get, with status 200. */
export const CHECKS = [
  { step: 'health', path: '/health', body: { status: 'ok' } },
  { step: 'clock', path: '/clock?mirror_time=12:22', body: { mirror_time: '12:22', actual_time: '11:38' } },
] as const;

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

  for (const check of CHECKS) {
    await synthetics.executeHttpStep(
      check.step,
      {
        protocol,
        hostname: base.hostname,
        port: base.port === '' ? (protocol === 'https:' ? 443 : 80) : Number(base.port),
        path: check.path,
        method: 'GET',
        // The WAF's common rule set blocks requests without a User-Agent.
        headers: {
          accept: 'application/json',
          'user-agent': 'clock-mirror-synthetic-check',
          'x-request-id': `${runId}-${check.step}`,
        },
        timeout: 10_000,
      },
      async (response) => {
        const body = await readBody(response);
        if (response.statusCode !== 200) {
          throw new Error(`${check.path}: status ${response.statusCode}, expected 200; body: ${body.slice(0, 200)}`);
        }
        let parsed: unknown;
        try {
          parsed = JSON.parse(body);
        } catch {
          throw new Error(`${check.path}: the body is not JSON: ${body.slice(0, 200)}`);
        }
        deepStrictEqual(parsed, check.body, `${check.path}: answered ${body}, expected ${JSON.stringify(check.body)}`);
        log.info(`${check.path}: ${body}`);
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
