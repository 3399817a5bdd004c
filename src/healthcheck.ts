/**
 * The container health check that the ECS task definition runs inside the container
 * (`node /app/dist/healthcheck.js`). ECS ignores a Dockerfile HEALTHCHECK, and the
 * image has no curl, so it is Node's built-in fetch. Exits 0 when the health path answers
 * 200, else 1: a 503 once shutdown has begun, a refused connection, or no answer in time.
 */
import { loadConfig } from './config.ts';
import { IDENTITY } from './identity.ts';

/** Below the task definition's health-check timeout (5 s), so that a hung server is reported by us, not killed by ECS. */
export const HEALTHCHECK_TIMEOUT_MS = 3000;

export async function isHealthy(url: string, timeoutMs: number = HEALTHCHECK_TIMEOUT_MS): Promise<boolean> {
  try {
    // A redirect is not the health path answering: do not follow it to some other page's 200.
    const response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    return response.status === 200;
  } catch {
    return false;
  }
}

if (import.meta.main) {
  // The server listens on 0.0.0.0 in the container, so loopback reaches it; the port is the server's own setting.
  const healthy = await isHealthy(`http://127.0.0.1:${loadConfig().port}${IDENTITY.healthPath}`);
  // exit() rather than exitCode: fetch's pooled keep-alive socket must not keep the check alive.
  process.exit(healthy ? 0 : 1);
}
