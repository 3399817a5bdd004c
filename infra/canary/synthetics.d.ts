/**
 * The part of the CloudWatch Synthetics Node.js runtime API (syn-nodejs-puppeteer-13.0) that the canary uses.
 * In Lambda the runtime's layer provides these modules; tools/synthetics-local provides them on a laptop or in CI.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Synthetics_Canaries_Library_Nodejs.html
 */
declare module 'Synthetics' {
  import type { IncomingMessage, RequestOptions } from 'node:http';

  interface Synthetics {
    /**
     * Makes the request, passes the response to `callback`, and records a step that passes when the callback's
     * promise resolves and fails (failing the run) when it rejects.
     */
    executeHttpStep(
      stepName: string,
      requestOptions: RequestOptions & { readonly protocol: 'http:' | 'https:' },
      callback: (response: IncomingMessage) => Promise<void>,
    ): Promise<void>;
  }
  const synthetics: Synthetics;
  export default synthetics;
}

declare module 'SyntheticsLogger' {
  interface SyntheticsLogger {
    info(message: string): void;
    error(message: string): void;
  }
  const log: SyntheticsLogger;
  export default log;
}
