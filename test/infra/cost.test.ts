import { suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import cdkJson from '../../cdk.json' with { type: 'json' };
import { addServiceStacks } from '../../infra/lib/service-stacks.ts';
import { HOURS_PER_MONTH } from '../../infra/lib/cost/assumptions.ts';
import { estimateEnvironment, type TemplateJson } from '../../infra/lib/cost/estimate.ts';
import { PRICES, PRICES_DATE } from '../../infra/lib/cost/prices.ts';
import { STAGING, type EnvironmentSettings } from '../../infra/lib/environments.ts';
import { ROOT } from '../../tools/root.ts';
import { IDENTITY } from '../../src/identity.ts';

/** Synthesises the given environments into `outdir` and returns each one's two templates. */
function synthesise(environments: EnvironmentSettings[], outdir?: string) {
  const app = new App({ context: cdkJson.context, ...(outdir === undefined ? {} : { outdir }) });
  const stacks = addServiceStacks(app, { imageTag: '1.2.3', environments });
  const assembly = app.synth();
  return new Map(
    [...stacks.environments].map(([name, { network, service, units }]) => [
      name,
      {
        edge: assembly.getStackByName(units[0]!.edge.stackName).template as TemplateJson,
        network: assembly.getStackByName(network.stackName).template as TemplateJson,
        service: assembly.getStackByName(service.stackName).template as TemplateJson,
      },
    ]),
  );
}

const variant = (id: string, change: (s: EnvironmentSettings) => EnvironmentSettings): EnvironmentSettings =>
  change({ ...STAGING, name: id.toLowerCase(), id });
const templates = synthesise([
  STAGING,
  variant('TwoNats', (s) => ({ ...s, network: { ...s.network, natGateways: 2 } })),
  variant('BigTasks', (s) => ({ ...s, service: { ...s.service, cpu: 512, memoryLimitMiB: 1024 } })),
]);
const estimate = (name: string) => estimateEnvironment(templates.get(name)!);
const lineOf = (name: string, item: RegExp) => {
  const found = estimate(name).lines.find((l) => item.test(l.item));
  if (!found) throw new Error(`no line ${item} in ${name}`);
  return found;
};

suite('cost estimate follows the templates', () => {
  test('one NAT gateway more adds exactly one NAT gateway-month to the NAT line', () => {
    const difference = lineOf('twonats', /^NAT gateways$/).usd - lineOf('staging', /^NAT gateways$/).usd;
    assert.ok(Math.abs(difference - HOURS_PER_MONTH * PRICES.natGatewayHour.usd) < 1e-9, String(difference));
    assert.match(lineOf('twonats', /^NAT gateways$/).detail, /^1460 h × \$0\.048 per NAT gateway-hour/);
  });

  test('a bigger task raises the Fargate line, in proportion to its vCPU and memory', () => {
    const small = lineOf('staging', /^Fargate/);
    const big = lineOf('bigtasks', /^Fargate/);
    assert.equal(small.item, 'Fargate (2 tasks of 0.25 vCPU, 0.5 GB, ARM)');
    assert.equal(big.item, 'Fargate (2 tasks of 0.5 vCPU, 1 GB, ARM)');
    assert.ok(big.usd > small.usd);
    assert.ok(Math.abs(big.usd - 2 * small.usd) < 1e-9);
  });

  test("the tasks run on ARM (Graviton): Fargate's Linux/ARM prices, 20 % under the x86 ones", () => {
    const arm = lineOf('staging', /^Fargate/);
    const hourly = 2 * (0.25 * PRICES.fargateArmVcpuHour.usd + 0.5 * PRICES.fargateArmGbHour.usd);
    assert.ok(Math.abs(arm.usd - hourly * HOURS_PER_MONTH) < 1e-9, String(arm.usd));
    assert.match(
      arm.detail,
      /^365 vCPU-h × \$0\.03238 per vCPU-hour \(Linux\/ARM\) \+ 730 GB-h × \$0\.00356 per GB-hour/,
    );
    for (const [armPrice, x86Price] of [
      [PRICES.fargateArmVcpuHour, PRICES.fargateVcpuHour],
      [PRICES.fargateArmGbHour, PRICES.fargateGbHour],
    ] as const) {
      assert.ok(Math.abs(armPrice.usd / x86Price.usd - 0.8) < 0.002, `${armPrice.unit}: ${armPrice.usd}`);
    }
    // The same template with the task on x86_64 (or no RuntimePlatform, Fargate's default) costs x86 prices.
    const onX86 = (platform: Record<string, string> | undefined): TemplateJson => {
      const { service } = templates.get('staging')!;
      const resources = Object.fromEntries(
        Object.entries(service.Resources!).map(([id, r]) =>
          r.Type === 'AWS::ECS::TaskDefinition'
            ? [id, { ...r, Properties: { ...r.Properties, RuntimePlatform: platform } }]
            : [id, r],
        ),
      );
      return { ...service, Resources: resources };
    };
    for (const platform of [{ CpuArchitecture: 'X86_64', OperatingSystemFamily: 'LINUX' }, undefined]) {
      const x86 = estimateEnvironment({ ...templates.get('staging')!, service: onX86(platform) });
      const fargate = x86.lines.find((l) => l.item.startsWith('Fargate'))!;
      assert.equal(fargate.item, 'Fargate (2 tasks of 0.25 vCPU, 0.5 GB)');
      const x86Hourly = 2 * (0.25 * PRICES.fargateVcpuHour.usd + 0.5 * PRICES.fargateGbHour.usd);
      assert.ok(Math.abs(fargate.usd - x86Hourly * HOURS_PER_MONTH) < 1e-9, String(fargate.usd));
    }
  });

  test('counts what the service stack creates: alarm metrics, keys, canary runs, WAF rules', () => {
    assert.equal(lineOf('staging', /^CloudWatch alarms/).item, 'CloudWatch alarms (5)');
    assert.match(lineOf('staging', /^CloudWatch alarms/).detail, /^14 alarm metrics/);
    // Two more in the edge stack: its WAF logs and its alarm topic.
    assert.match(lineOf('staging', /^KMS keys$/).detail, /^6 × \$1 /);
    // rate(5 minutes) over 730 hours.
    assert.match(lineOf('staging', /^Synthetics/).detail, /^8760 runs × \$0\.0012 per canary run/);
    assert.equal(lineOf('staging', /^WAF \(/).item, 'WAF (5 rules)');
    // The WAF's log group, found through its logging configuration, is billed as vended logs, not as container logs.
    assert.match(lineOf('staging', /^WAF logs$/).detail, /^1\.50 GB × \$0\.57 per GB of vended logs/);
    assert.match(lineOf('staging', /^CloudWatch dashboards$/).detail, /^1 × \$3 per dashboard-month$/);
    // The NAT gateway's address only: the internal load balancer has none.
    assert.match(lineOf('staging', /^Public IPv4/).detail, /^730 address-h/);
    // One distribution: 1 M HTTPS requests and 2 GB to viewers.
    assert.match(lineOf('staging', /^CloudFront$/).detail, /^100 × 10k requests × \$0\.01 .* \+ 2 GB × \$0\.085/);
    const { lines, totalUsd } = estimate('staging');
    assert.ok(Math.abs(totalUsd - lines.reduce((sum, l) => sum + l.usd, 0)) < 1e-9);
  });

  test('every price is dated and names an AWS pricing page', () => {
    assert.match(PRICES_DATE, /^\d{4}-\d{2}-\d{2}$/);
    for (const [name, price] of Object.entries(PRICES)) {
      assert.match(price.source, /^https:\/\/aws\.amazon\.com\/[a-z-]+\/pricing\/$/, name);
      assert.ok(price.usd > 0, name);
    }
  });
});

suite('npm run cost', () => {
  test('prints one table per environment, from cdk.out as from its own synthesis, with the same totals', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'cost-cdk-out-'));
    try {
      const deployed = synthesise([STAGING, { ...STAGING, name: 'production', id: 'Production' }], outdir);
      const fromCdkOut = spawnSync(process.execPath, ['scripts/cost.ts', outdir], { cwd: ROOT, encoding: 'utf8' });
      assert.equal(fromCdkOut.status, 0, fromCdkOut.stderr);
      const total = (name: string) => estimateEnvironment(deployed.get(name)!).totalUsd.toFixed(2);
      assert.match(fromCdkOut.stdout, /^staging: USD per month, eu-west-1 list prices of \d{4}-\d{2}-\d{2}$/m);
      assert.match(fromCdkOut.stdout, new RegExp(`^  total +${total('staging')}$`, 'm'));
      assert.match(fromCdkOut.stdout, new RegExp(`^  total +${total('production')}$`, 'm'));
      assert.match(fromCdkOut.stdout, /^ {2}NAT gateways +35\.52 {2}730 h × \$0\.048/m);

      const own = spawnSync(process.execPath, ['scripts/cost.ts'], { cwd: ROOT, encoding: 'utf8' });
      assert.equal(own.status, 0, own.stderr);
      for (const item of ['NAT gateways', 'Load balancer', 'Fargate', 'CloudWatch alarms', 'WAF logs', 'total']) {
        assert.equal(own.stdout.match(new RegExp(`^  ${item.replace(/[()]/g, '\\$&')}`, 'gm'))?.length, 2, item);
      }
      assert.match(own.stdout, /^production: USD per month/m);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  test('a cdk.out without the templates fails with a message saying what to run', () => {
    const empty = mkdtempSync(join(tmpdir(), 'cost-empty-'));
    try {
      const run = spawnSync(process.execPath, ['scripts/cost.ts', empty], { cwd: ROOT, encoding: 'utf8' });
      assert.notEqual(run.status, 0);
      assert.match(
        run.stderr,
        new RegExp(String.raw`${IDENTITY.id}-Staging-Edge\.template\.json is missing: run \`npx cdk synth\` first`),
      );
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
