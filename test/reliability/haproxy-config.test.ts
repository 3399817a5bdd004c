import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scaled, type AlbSettings } from './alb-settings.ts';
import { haproxyConfig } from './haproxy.ts';

const SETTINGS: AlbSettings = {
  environment: 'test',
  healthCheckPath: '/health',
  healthyHttpCode: '200',
  healthCheckIntervalMs: 10_000,
  healthCheckTimeoutMs: 5_000,
  healthyThreshold: 2,
  unhealthyThreshold: 3,
  deregistrationDelayMs: 30_000,
  connectTimeoutMs: 10_000,
  idleTimeoutMs: 60_000,
  keepAliveTimeoutMs: 65_000,
  shutdownTimeoutMs: 10_000,
  stopTimeoutMs: 30_000,
  canaryPercent: 10,
  canaryBakeMs: 300_000,
  deploymentBakeMs: 300_000,
};

test('scaled() shortens every duration and keeps the path, the thresholds and the share', () => {
  assert.deepEqual(scaled(SETTINGS, 1 / 50), {
    ...SETTINGS,
    healthCheckIntervalMs: 200,
    healthCheckTimeoutMs: 100,
    deregistrationDelayMs: 600,
    connectTimeoutMs: 200,
    idleTimeoutMs: 1_200,
    keepAliveTimeoutMs: 1_300,
    shutdownTimeoutMs: 200,
    stopTimeoutMs: 600,
    canaryBakeMs: 6_000,
    deploymentBakeMs: 6_000,
  });
});

test('the haproxy configuration carries the health check, the idle timeout and keep-alive to the targets', () => {
  const lines = haproxyConfig({
    settings: scaled(SETTINGS, 1 / 50),
    servers: ['v1a', 'v2a'],
    port: 18_080,
    socket: '/tmp/x/admin.sock',
  })
    .split('\n')
    .map((line) => line.trim());
  for (const expected of [
    'bind 127.0.0.1:18080',
    'stats socket /tmp/x/admin.sock mode 600 level admin',
    'option httpchk GET /health',
    'http-check expect status 200',
    'timeout check 100',
    'timeout client 1200',
    'timeout http-keep-alive 1200',
    'timeout server 1200',
    'timeout connect 200',
    'option http-keep-alive',
    'default-server check inter 200 rise 2 fall 3 weight 0 disabled',
    'server v1a 127.0.0.1:9',
    'server v2a 127.0.0.1:9',
  ]) {
    assert.ok(lines.includes(expected), `missing: ${expected}`);
  }
});
