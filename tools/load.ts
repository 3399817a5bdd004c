/**
 * Load from autocannon, for the reliability tests (test/reliability/load.test.ts), which need its per-response
 * events and a Node.js API; the benchmark uses wrk (bench/wrk.ts), which leaves more of the machine to the server.
 * Run as a script, it is one slice of load in a process of its own, so that the load generator never shares an
 * event loop with the server it measures:
 *
 *   node tools/load.ts URL CONNECTIONS SECONDS [EXPECTED_BODY]
 *
 * Prints one JSON line (a LoadResult). Latencies are recorded per response with autocannon's sub-millisecond
 * timings: its own histogram rounds to whole milliseconds, too coarse for a p99 of about one millisecond.
 */
import autocannon from 'autocannon';

export interface LoadResult {
  readonly seconds: number;
  readonly responses: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Socket errors, timeouts, non-2xx answers and bodies other than the expected one, added up. */
  readonly errors: number;
  readonly statusCodes: Record<string, number>;
  /** This load generator's own CPU time as a share of one core: near 100 % means it, not the server, is the limit. */
  readonly generatorCpuPercent: number;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function cpuPercentSince(cpu: NodeJS.CpuUsage, began: number): number {
  const { user, system } = process.cpuUsage(cpu);
  return ((user + system) / 1000 / (performance.now() - began)) * 100;
}

export interface LoadOptions {
  /** Requests a second over all connections. @default as fast as the connections go */
  readonly overallRate?: number;
  /** Sent with every request. @default none */
  readonly headers?: Readonly<Record<string, string>>;
}

export function runLoad(
  url: string,
  connections: number,
  seconds: number,
  expectBody?: string,
  options: LoadOptions = {},
): Promise<LoadResult> {
  const latencies: number[] = [];
  const cpu = process.cpuUsage();
  const began = performance.now();
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections,
        duration: seconds,
        timeout: 10,
        ...(expectBody === undefined ? {} : { expectBody }),
        ...(options.overallRate === undefined ? {} : { overallRate: options.overallRate }),
        ...(options.headers === undefined ? {} : { headers: { ...options.headers } }),
      },
      (error, result) => {
        if (error) {
          reject(error);
          return;
        }
        latencies.sort((a, b) => a - b);
        const statusCodes = Object.fromEntries(
          Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count]),
        );
        resolve({
          seconds: result.duration,
          responses: latencies.length,
          requestsPerSecond: latencies.length / result.duration,
          p50Ms: percentile(latencies, 50),
          p99Ms: percentile(latencies, 99),
          errors: result.errors + result.timeouts + result.mismatches + result.non2xx,
          statusCodes,
          generatorCpuPercent: cpuPercentSince(cpu, began),
        });
      },
    );
    instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  });
}

if (import.meta.main) {
  const [url, connections, seconds, expectBody] = process.argv.slice(2);
  if (url === undefined || connections === undefined || seconds === undefined) {
    process.stderr.write('usage: node tools/load.ts URL CONNECTIONS SECONDS [EXPECTED_BODY]\n');
    process.exit(2);
  }
  const result = await runLoad(url, Number(connections), Number(seconds), expectBody);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
