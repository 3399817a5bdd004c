/**
 * A local stand-in for the Synthetics runtime's `Synthetics` module: the one call the canary makes,
 * executeHttpStep, with the runtime's contract (the step fails, and the run with it, when the request fails or
 * the callback rejects). It writes what the runtime's step report would show, one line per step.
 */
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import log from './logger.ts';

/** The steps of this run, as the runtime reports them. */
export const steps: { name: string; status: 'PASSED' | 'FAILED'; durationMs: number; reason?: string }[] = [];

async function executeHttpStep(
  stepName: string,
  requestOptions: RequestOptions & { readonly protocol: 'http:' | 'https:' },
  callback: (response: IncomingMessage) => Promise<void>,
): Promise<void> {
  const started = performance.now();
  log.info(`Executing step: ${stepName}`);
  try {
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const send = requestOptions.protocol === 'https:' ? httpsRequest : httpRequest;
      const request = send(requestOptions, resolve);
      request.on('timeout', () => request.destroy(new Error(`no response within ${requestOptions.timeout} ms`)));
      request.on('error', reject);
      request.end();
    });
    await callback(response);
    const durationMs = Math.round(performance.now() - started);
    steps.push({ name: stepName, status: 'PASSED', durationMs });
    log.info(`Step ${stepName} PASSED in ${durationMs} ms`);
  } catch (error) {
    const durationMs = Math.round(performance.now() - started);
    const reason = error instanceof Error ? error.message : String(error);
    steps.push({ name: stepName, status: 'FAILED', durationMs, reason });
    log.error(`Step ${stepName} FAILED in ${durationMs} ms: ${reason}`);
    throw error;
  }
}

// Named and default: the bundle's CommonJS interop reads either shape.
export { executeHttpStep };
export default { executeHttpStep };
