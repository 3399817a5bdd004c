/**
 * Runs the pipeline's shell, as CodeBuild would, against stand-ins for the tools that
 * need AWS: `npx` (cdk), `aws` (ECR) and `docker`. What is checked is our shell: the
 * quoting of context, the image tags, the reuse of a pushed image, the variables
 * handed to the next stage, and the failures.
 */
import { test, suite, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  IMAGE_VARIABLES,
  buildImageSpec,
  cdkContextArgs,
  deploySpec,
  serviceUrlCommand,
  smokeSpec,
  type BuildSpecObject,
  PROMOTION_OUTPUTS,
} from '../../infra/lib/pipeline/buildspecs.ts';
import { ROOT } from '../../tools/root.ts';
import { buildPipeline, buildSpecOf, projectProperties, resourcesOfType } from './pipeline-fixture.ts';
import { IDENTITY } from '../../src/identity.ts';
import { environmentStackName } from '../../infra/lib/names.ts';

const NETWORK = environmentStackName('Staging', 'Network');
const SERVICE = environmentStackName('Staging', 'Service');
const PRODUCTION_SERVICE = environmentStackName('Production', 'Service');

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The exported variables' values at the end, as CodePipeline would read them. */
  readonly exported: Record<string, string>;
}

let workspace: string;
before(() => {
  workspace = mkdtempSync(join(tmpdir(), 'pipeline-shell-'));
});
after(() => rmSync(workspace, { recursive: true, force: true }));

let folders = 0;
function folder(name: string): string {
  const path = join(workspace, `${String(folders++)}-${name}`);
  mkdirSync(path, { recursive: true });
  return path;
}

/** A stand-in command: a Node script on PATH. */
function stub(bin: string, name: string, source: string): void {
  const path = join(bin, name);
  writeFileSync(path, `#!${process.execPath}\n${source}`);
  chmodSync(path, 0o755);
}

/** Runs commands in one bash, stopping at the first failure, as a CodeBuild phase does. */
function bash(
  commands: readonly string[],
  cwd: string,
  env: Record<string, string>,
  bin?: string,
  exported: readonly string[] = [],
): Run {
  const script = ['set -e', ...commands, ...exported.map((name) => `echo "::${name}=\${${name}:-}"`)].join('\n');
  const path = [bin, dirname(process.execPath), '/usr/bin', '/bin'].filter((entry) => entry !== undefined).join(':');
  const result = spawnSync('bash', ['--norc', '--noprofile', '-c', script], {
    cwd,
    env: { PATH: path, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  const lines = result.stdout.split('\n');
  return {
    status: result.status,
    stdout: lines.filter((line) => !line.startsWith('::')).join('\n'),
    stderr: result.stderr,
    exported: Object.fromEntries(
      lines.filter((line) => line.startsWith('::')).map((line) => line.slice(2).split(/=(.*)/s, 2) as [string, string]),
    ),
  };
}

const phase = (spec: BuildSpecObject, name: string) =>
  (spec.phases as Record<string, { commands: string[] } | undefined>)[name]?.commands ?? [];
const exportedOf = (spec: BuildSpecObject) =>
  (spec.env as { 'exported-variables'?: string[] })['exported-variables'] ?? [];

suite('cdk context on the command line', () => {
  test('every value reaches cdk unchanged, whatever characters it holds', () => {
    const context = {
      connectionArn: 'arn:aws:codeconnections:eu-west-1:123456789012:connection/abc-123',
      githubOwner: "o'brien & sons",
      notificationEmail: 'ops+pipeline@example.com',
      spaced: 'a b  c',
      dollar: '$HOME `id` $(id)',
    };
    const run = bash([`printf '%s\\n' ${cdkContextArgs(context)}`], workspace, {});
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(
      run.stdout.trimEnd().split('\n'),
      Object.entries(context)
        .sort(([a], [b]) => a.localeCompare(b))
        .flatMap(([key, value]) => ['-c', `${key}=${value}`]),
    );
  });

  test('no context gives no arguments', () => {
    assert.equal(cdkContextArgs({}), '');
  });
});

/** A deployed service stack's template, as far as the rule check reads it. */
const SERVICE_TEMPLATE = {
  Resources: {
    LoadBalancerProductionRule1971DB67: {
      Type: 'AWS::ElasticLoadBalancingV2::ListenerRule',
      Properties: { Priority: 1 },
    },
  },
};

/** Both staging stacks deployed, and production's, which the staging pattern must not select. */
const DEPLOYED: Record<string, string> = {
  [NETWORK]: 'CREATE_COMPLETE',
  [SERVICE]: 'UPDATE_COMPLETE',
  [PRODUCTION_SERVICE]: 'UPDATE_COMPLETE',
};

suite('Deploy: cdk deploy with the Build stage tag, then the service URL for Smoke', () => {
  const spec = deploySpec({
    stacks: [NETWORK, SERVICE],
    serviceStackName: SERVICE,
    contextArgs: cdkContextArgs({ githubOwner: 'octo-org' }),
  });

  /**
   * `npx` that records its arguments and writes the outputs file as `cdk deploy --outputs-file` does, and `aws`
   * answering `describe-stacks` from STACKS (name to status, default: both staging stacks deployed). As
   * `cdk drift --fail`, `npx` keeps the profile it was given, selects the stacks its arguments name or match, fails
   * as CloudFormation does on a missing stack or one whose status allows no drift detection, and otherwise answers as
   * DRIFT says: clean, drifted (printing DRIFT_REPORT) or denied.
   */
  function npxStub(outputs: unknown): string {
    const bin = folder('bin');
    const stacks =
      `const stacks = JSON.parse(process.env.STACKS ?? ${JSON.stringify(JSON.stringify(DEPLOYED))});\n` +
      `const TEMPLATE = ${JSON.stringify(SERVICE_TEMPLATE)};`;
    stub(
      bin,
      'npx',
      `const fs = require('node:fs');
${stacks}
const args = process.argv.slice(2);
if (args[1] === 'drift') {
  fs.writeFileSync('drift-args.json', JSON.stringify(args));
  fs.writeFileSync('drift-config', fs.readFileSync(process.env.AWS_CONFIG_FILE));
  const selectors = args.slice(2, args.findIndex((arg) => arg.startsWith('-')));
  // Stack names hold letters, digits and hyphens only: * is the one special character.
  const glob = (pattern) => new RegExp('^' + pattern.split('*').join('.*') + '$');
  for (const selector of selectors) {
    const names = Object.keys(stacks).filter((name) => glob(selector).test(name));
    if (names.length === 0) { console.error('Stack with id ' + selector + ' does not exist'); process.exit(1); }
    for (const name of names) {
      if (!['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE', 'UPDATE_ROLLBACK_FAILED'].includes(stacks[name])) {
        console.error('ValidationError: Drift detection cannot be performed on stack ' + name + ' in status ' + stacks[name]);
        process.exit(1);
      }
    }
  }
  const drift = process.env.DRIFT ?? 'clean';
  if (drift === 'drifted') { console.log(process.env.DRIFT_REPORT); process.exit(1); }
  if (drift === 'denied') { console.error('AccessDenied: not authorized to perform: sts:AssumeRole'); process.exit(1); }
  console.log('No drift detected');
  process.exit(0);
}
if (args[1] === 'synth') {
  const out = args[args.indexOf('--output') + 1];
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(out + '/manifest.json', JSON.stringify({ artifacts: { [args[2]]: { type: 'aws:cloudformation:stack', properties: { templateFile: 't.json' } } } }));
  // RULE_CHANGE: this commit changes the production rule (its priority), as adding a domain would (its listener).
  const next = structuredClone(TEMPLATE);
  if (process.env.RULE_CHANGE === '1') next.Resources.LoadBalancerProductionRule1971DB67.Properties.Priority = 2;
  fs.writeFileSync(out + '/t.json', JSON.stringify(next));
  process.exit(0);
}
fs.writeFileSync('npx-args.json', JSON.stringify(args));
const file = args[args.indexOf('--outputs-file') + 1];
fs.writeFileSync(file, ${JSON.stringify(JSON.stringify(outputs))});`,
    );
    stub(
      bin,
      'aws',
      `const fs = require('node:fs');
${stacks}
const args = process.argv.slice(2);
if (process.env.DRIFT === 'denied') { console.error('AccessDenied: not authorized to perform: sts:AssumeRole'); process.exit(254); }
if (args[1] === 'get-template') { console.log(JSON.stringify(TEMPLATE)); process.exit(0); }
if (args.slice(0, 2).join(' ') !== 'cloudformation describe-stacks') { console.error('unexpected aws call'); process.exit(2); }
const named = args.indexOf('--stack-name');
if (named !== -1) {
  const status = stacks[args[named + 1]];
  if (status === undefined) { console.error('Stack with id ' + args[named + 1] + ' does not exist'); process.exit(254); }
  console.log(status);
  process.exit(0);
}
// The drift check's listing of the stacks, as opposed to the rule check's reads of one.
fs.writeFileSync('aws-args.json', JSON.stringify(args));
fs.writeFileSync('aws-config', fs.readFileSync(process.env.AWS_CONFIG_FILE));
for (const [name, status] of Object.entries(stacks)) console.log(name + '\t' + status);`,
    );
    return bin;
  }

  /** A folder with the drift check script where the buildspec runs it from. */
  function deployFolder(name: string): string {
    const cwd = folder(name);
    mkdirSync(join(cwd, 'infra/lib/pipeline'), { recursive: true });
    for (const file of ['drift-check.sh', 'drift-report.ts', 'rule-change-check.sh', 'rule-change.ts']) {
      copyFileSync(join(ROOT, 'infra/lib/pipeline', file), join(cwd, 'infra/lib/pipeline', file));
    }
    // rule-change.ts diffs templates with the repository's @aws-cdk/cloudformation-diff.
    symlinkSync(join(ROOT, 'node_modules'), join(cwd, 'node_modules'));
    return cwd;
  }
  const ROLE = 'arn:aws:iam::123456789012:role/cdk-hnb659fds-lookup-role-123456789012-eu-west-1';
  const RULE =
    '[~] AWS::ElasticLoadBalancingV2::ListenerRule LoadBalancer/ProductionRule LoadBalancerProductionRule1971DB67';
  /** A property difference as the pinned CLI's DriftFormatter prints it: the path, then the old and new values. */
  const change = (path: string, from: string, to: string, last = false) =>
    [` ${last ? '└' : '├'}─ [~] ${path}`, `     ├─ [-] ${from}`, `     └─ [+] ${to}`].join('\n');
  const WEIGHTS = [
    change('/Actions/0/ForwardConfig/TargetGroups/0/Weight', '100', '0'),
    change('/Actions/0/ForwardConfig/TargetGroups/1/Weight', '0', '100', true),
  ];
  /** `cdk drift`'s report of one stack with these resource sections, and its closing total. */
  function driftReport(sections: readonly string[], total: number): string {
    return [
      `Stack ${SERVICE}`,
      ...sections,
      '',
      `${String(total)} resource${total === 1 ? ' has' : 's have'} drifted from their expected configuration`,
      '',
      `✨  Number of resources with drift: ${String(total)}`,
    ].join('\n');
  }
  /** What the deploy action passes from Build: the tag and the digest. */
  const PUSHED = { IMAGE_TAG: '1.4.0-0a1b2c3', IMAGE_DIGEST: `sha256:${'5e'.repeat(32)}` };
  // A stack without promotion checks: the deploy exports their variables empty.
  const NO_PROMOTION_OUTPUTS = Object.fromEntries(Object.keys(PROMOTION_OUTPUTS).map((name) => [name, '']));
  const STAGED = {
    [NETWORK]: {},
    [SERVICE]: { ServiceUrl: 'https://staging.clock.example.com' },
  };

  test('deploys the environment stacks with exactly IMAGE_DIGEST, labelled IMAGE_TAG, and exports the ServiceUrl and promotion-check outputs', () => {
    const cwd = deployFolder('deploy');
    const bin = npxStub({
      [NETWORK]: {},
      [SERVICE]: {
        ServiceUrl: 'https://staging.clock.example.com',
        ClusterName: 'c',
        ServiceName: 's',
        PromotionCheckRoleArn: 'arn:aws:iam::111111111111:role/checks',
        ResilienceExperimentTemplateId: 'EXT123',
        LoadTestTokenArn: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:token-AbCdEf',
      },
    });
    const run = bash(phase(spec, 'build'), cwd, { ...PUSHED, DRIFT_ROLE_ARN: ROLE }, bin, exportedOf(spec));
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(readFileSync(join(cwd, 'npx-args.json'), 'utf8')), [
      'cdk',
      'deploy',
      NETWORK,
      SERVICE,
      '--exclusively',
      '-c',
      'githubOwner=octo-org',
      '-c',
      'imageTag=1.4.0-0a1b2c3',
      '-c',
      `imageDigest=${PUSHED.IMAGE_DIGEST}`,
      '--require-approval',
      'never',
      '--progress',
      'events',
      '--outputs-file',
      'cdk-outputs.json',
    ]);
    assert.deepEqual(run.exported, {
      SERVICE_URL: 'https://staging.clock.example.com',
      PROMOTION_ROLE_ARN: 'arn:aws:iam::111111111111:role/checks',
      EXPERIMENT_TEMPLATE_ID: 'EXT123',
      LOAD_TEST_TOKEN_ARN: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:token-AbCdEf',
      CLUSTER_NAME: 'c',
      SERVICE_NAME: 's',
    });
    assert.match(
      run.stdout,
      /deployed image sha256:(5e){32} \(tag 1\.4\.0-0a1b2c3\); the service answers at https:\/\/staging\.clock\.example\.com/,
    );
  });

  test('without IMAGE_TAG it stops before cdk runs, rather than deploy the default tag', () => {
    const cwd = folder('deploy-no-tag');
    const run = bash(phase(spec, 'build'), cwd, {}, npxStub({}), exportedOf(spec));
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /IMAGE_TAG is not set: the deploy action passes the tag from the Build stage/);
    assert.throws(() => readFileSync(join(cwd, 'npx-args.json')));
  });

  test('without IMAGE_DIGEST it stops before cdk runs, rather than deploy by a tag', () => {
    const cwd = folder('deploy-no-digest');
    const run = bash(phase(spec, 'build'), cwd, { IMAGE_TAG: PUSHED.IMAGE_TAG }, npxStub({}), exportedOf(spec));
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /IMAGE_DIGEST is not set: the deploy action passes the digest from the Build stage/);
    assert.throws(() => readFileSync(join(cwd, 'npx-args.json')));
  });

  test('a service stack without a ServiceUrl output fails the action, naming what is missing', () => {
    const cwd = deployFolder('deploy-no-url');
    const run = bash(phase(spec, 'build'), cwd, { ...PUSHED, DRIFT_ROLE_ARN: ROLE }, npxStub({ [SERVICE]: {} }));
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, new RegExp(`${SERVICE} has no ServiceUrl output in cdk-outputs\\.json`));
  });

  test('with DRIFT_REGION (a unit outside the pipeline region) the lookup profile reads the stacks in that region', () => {
    const cwd = deployFolder('drift-region');
    const run = bash(
      phase(spec, 'build'),
      cwd,
      { ...PUSHED, DRIFT_ROLE_ARN: ROLE, DRIFT_REGION: 'eu-central-1' },
      npxStub(STAGED),
    );
    assert.equal(run.status, 0, run.stderr);
    assert.equal(
      readFileSync(join(cwd, 'drift-config'), 'utf8'),
      `[profile drift-check]\nrole_arn = ${ROLE}\ncredential_source = EcsContainer\nregion = eu-central-1\n`,
    );
  });

  test('the drift check runs cdk drift --fail on the same stacks, as the lookup role, before the deploy', () => {
    const cwd = deployFolder('drift-clean');
    const run = bash(phase(spec, 'build'), cwd, { ...PUSHED, DRIFT_ROLE_ARN: ROLE }, npxStub(STAGED));
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(readFileSync(join(cwd, 'drift-args.json'), 'utf8')), [
      'cdk',
      'drift',
      NETWORK,
      SERVICE,
      '-c',
      'githubOwner=octo-org',
      '-c',
      'imageTag=1.4.0-0a1b2c3',
      '-c',
      `imageDigest=${PUSHED.IMAGE_DIGEST}`,
      '--profile',
      'drift-check',
      '--no-color',
      '--fail',
    ]);
    assert.equal(
      readFileSync(join(cwd, 'drift-config'), 'utf8'),
      `[profile drift-check]\nrole_arn = ${ROLE}\ncredential_source = EcsContainer\n`,
    );
    assert.match(run.stdout, new RegExp(`no drift in ${NETWORK} ${SERVICE}`));
    // The stacks' statuses are read as the lookup role too.
    assert.deepEqual(JSON.parse(readFileSync(join(cwd, 'aws-args.json'), 'utf8')).slice(0, 4), [
      'cloudformation',
      'describe-stacks',
      '--profile',
      'drift-check',
    ]);
    assert.equal(readFileSync(join(cwd, 'aws-config'), 'utf8'), readFileSync(join(cwd, 'drift-config'), 'utf8'));
  });

  test('drift stops the action before cdk deploy, with a message that says what to do', () => {
    const cwd = deployFolder('drift-found');
    const env = {
      ...PUSHED,
      DRIFT_ROLE_ARN: ROLE,
      DRIFT: 'drifted',
      DRIFT_REPORT: driftReport(
        [
          'Modified Resources',
          '[~] AWS::ECS::Service App/Service AppService606B9134',
          change('/TaskDefinition', 'a', 'b', true),
        ],
        1,
      ),
    };
    const run = bash(phase(spec, 'build'), cwd, env, npxStub(STAGED));
    assert.notEqual(run.status, 0);
    assert.match(run.stdout, /\[~\] AWS::ECS::Service App\/Service/);
    assert.match(run.stderr, new RegExp(`DRIFT CHECK FAILED for ${NETWORK} ${SERVICE}: a deployed resource differs`));
    assert.match(run.stderr, /Undo the manual change, or deploy the merged fix by hand with cdk deploy/);
    assert.match(run.stderr, /Nothing was deployed\./);
    assert.throws(() => readFileSync(join(cwd, 'npx-args.json')));
  });

  test('the weights ECS moved in the production rule are let through, and the deploy goes on', () => {
    const cwd = deployFolder('drift-weights');
    const report = driftReport(['Modified Resources', RULE, ...WEIGHTS], 1);
    const env = { ...PUSHED, DRIFT_ROLE_ARN: ROLE, DRIFT: 'drifted', DRIFT_REPORT: report };
    const run = bash(phase(spec, 'build'), cwd, env, npxStub(STAGED), exportedOf(spec));
    assert.equal(run.status, 0, run.stderr);
    assert.match(
      run.stdout,
      /ignored, ECS makes these changes at every deployment: \[~\] AWS::ElasticLoadBalancingV2::ListenerRule/,
    );
    assert.match(run.stdout, new RegExp(`drift in ${NETWORK} ${SERVICE} is only what ECS`));
    assert.equal(JSON.parse(readFileSync(join(cwd, 'npx-args.json'), 'utf8'))[1], 'deploy');
    assert.deepEqual(run.exported, { SERVICE_URL: 'https://staging.clock.example.com', ...NO_PROMOTION_OUTPUTS });
  });

  const BLUE = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/Blue/1111';
  const GREEN = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/Green/2222';
  const OTHER = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/Other/3333';
  const SERVICE_LINE = '[~] AWS::ECS::Service App/Service AppService606B9134';
  /** The rule after an odd number of deployments, if ELB reports the groups in serving order: swapped. */
  const RULE_SWAPPED = [
    change('/Actions/0/ForwardConfig/TargetGroups/0/TargetGroupArn', BLUE, GREEN),
    change('/Actions/0/ForwardConfig/TargetGroups/1/TargetGroupArn', GREEN, BLUE, true),
  ];
  /** The service after an odd number of deployments, if ECS reports the serving group as its primary: swapped. */
  const SERVICE_SWAPPED = [
    change('/LoadBalancers/0/TargetGroupArn', BLUE, GREEN),
    change('/LoadBalancers/0/AdvancedConfiguration/AlternateTargetGroupArn', GREEN, BLUE, true),
  ];

  test('the target groups ECS swapped, in the rule and in the service, are let through with the weights', () => {
    const cwd = deployFolder('drift-swapped');
    const report = driftReport(
      [
        'Modified Resources',
        RULE,
        WEIGHTS[0]!,
        WEIGHTS[1]!.replace('└', '├'),
        ...RULE_SWAPPED,
        SERVICE_LINE,
        ...SERVICE_SWAPPED,
      ],
      2,
    );
    const env = { ...PUSHED, DRIFT_ROLE_ARN: ROLE, DRIFT: 'drifted', DRIFT_REPORT: report };
    const run = bash(phase(spec, 'build'), cwd, env, npxStub(STAGED), exportedOf(spec));
    assert.equal(run.status, 0, run.stderr);
    assert.match(
      run.stdout,
      /ignored, ECS makes these changes at every deployment: \[~\] AWS::ECS::Service App\/Service/,
    );
    assert.equal(JSON.parse(readFileSync(join(cwd, 'npx-args.json'), 'utf8'))[1], 'deploy');
  });

  /** Drift reports that must stop the deploy even though the production rule's weights are among them. */
  const STOPPING: Record<string, string> = {
    'another property of the production rule': driftReport(
      [
        'Modified Resources',
        RULE,
        WEIGHTS[0]!,
        change('/Actions/0/ForwardConfig/TargetGroups/1/TargetGroupArn', 'arn:green', 'arn:other', true),
      ],
      1,
    ),
    'weights of another listener rule': driftReport(
      ['Modified Resources', RULE.replace(/ProductionRule/g, 'TestRule'), ...WEIGHTS],
      1,
    ),
    'another resource besides the weights': driftReport(
      [
        'Modified Resources',
        RULE,
        ...WEIGHTS,
        '[~] AWS::ElasticLoadBalancingV2::TargetGroup LoadBalancer/Blue LoadBalancerBlue2F8A3E0C',
        change('/HealthCheckPath', '/health', '/', true),
      ],
      2,
    ),
    'a deleted resource besides the weights': driftReport(
      [
        'Modified Resources',
        RULE,
        ...WEIGHTS,
        '',
        'Deleted Resources',
        '[-] AWS::SNS::Topic Alarms/Topic AlarmsTopic0B1C',
      ],
      2,
    ),
    'a production rule drift with no property named': driftReport(['Modified Resources', RULE], 1),
    'the service pointed at a third target group': driftReport(
      [
        'Modified Resources',
        SERVICE_LINE,
        change('/LoadBalancers/0/TargetGroupArn', BLUE, OTHER),
        change('/LoadBalancers/0/AdvancedConfiguration/AlternateTargetGroupArn', GREEN, BLUE, true),
      ],
      1,
    ),
    'the rule forwarding to a third target group in a swap': driftReport(
      [
        'Modified Resources',
        RULE,
        ...WEIGHTS.slice(0, 1),
        change('/Actions/0/ForwardConfig/TargetGroups/0/TargetGroupArn', BLUE, OTHER),
        change('/Actions/0/ForwardConfig/TargetGroups/1/TargetGroupArn', GREEN, BLUE, true),
      ],
      1,
    ),
    'a service with another property changed besides the swap': driftReport(
      ['Modified Resources', SERVICE_LINE, ...SERVICE_SWAPPED.slice(0, 1), change('/TaskDefinition', 'a', 'b', true)],
      1,
    ),
    'a service whose primary group changed alone': driftReport(
      ['Modified Resources', SERVICE_LINE, change('/LoadBalancers/0/TargetGroupArn', BLUE, GREEN, true)],
      1,
    ),
    'a total that does not match the resources read': driftReport(['Modified Resources', RULE, ...WEIGHTS], 2),
    'a report without its total (a stack not checked)': ['Modified Resources', RULE, ...WEIGHTS].join('\n'),
  };
  for (const [name, report] of Object.entries(STOPPING)) {
    test(`drift stops the deploy: ${name}`, () => {
      const cwd = deployFolder('drift-stops');
      const env = { ...PUSHED, DRIFT_ROLE_ARN: ROLE, DRIFT: 'drifted', DRIFT_REPORT: report };
      const run = bash(phase(spec, 'build'), cwd, env, npxStub(STAGED));
      assert.notEqual(run.status, 0);
      assert.match(run.stderr, new RegExp(`DRIFT CHECK FAILED for ${NETWORK} ${SERVICE}`));
      assert.throws(() => readFileSync(join(cwd, 'npx-args.json')));
    });
  }

  test('a drift check that cannot run stops the deploy too', () => {
    const cwd = deployFolder('drift-denied');
    const env = { ...PUSHED, DRIFT_ROLE_ARN: ROLE, DRIFT: 'denied' };
    const run = bash(phase(spec, 'build'), cwd, env, npxStub(STAGED));
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /DRIFT CHECK FAILED/);
    assert.throws(() => readFileSync(join(cwd, 'npx-args.json')));
  });

  test("the pipeline's first run, before the stacks exist, deploys without a drift check to make", () => {
    const cwd = deployFolder('drift-first');
    const stacks = { [PRODUCTION_SERVICE]: 'CREATE_COMPLETE' };
    const env = { ...PUSHED, DRIFT_ROLE_ARN: ROLE, STACKS: JSON.stringify(stacks) };
    const run = bash(phase(spec, 'build'), cwd, env, npxStub(STAGED), exportedOf(spec));
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /not deployed yet, so nothing can have drifted/);
    assert.throws(() => readFileSync(join(cwd, 'drift-args.json')), 'no cdk drift');
    assert.deepEqual(run.exported, { SERVICE_URL: 'https://staging.clock.example.com', ...NO_PROMOTION_OUTPUTS });
  });

  /** Statuses in which nothing is deployed to drift: the deploy goes on, checking only the deployed stacks. */
  const NOTHING_DEPLOYED: Record<string, [string, RegExp]> = {
    'a failed first create (ROLLBACK_COMPLETE)': ['ROLLBACK_COMPLETE', /cdk deploy deletes it and creates it again/],
    'a failed first create whose rollback failed (ROLLBACK_FAILED)': [
      'ROLLBACK_FAILED',
      /cdk deploy deletes it and creates it again/,
    ],
    'a change set never executed (REVIEW_IN_PROGRESS)': ['REVIEW_IN_PROGRESS', /no resources, nothing to drift/],
  };
  for (const [name, [status, message]] of Object.entries(NOTHING_DEPLOYED)) {
    test(`the service stack left by ${name} does not block the deploy; the network is still checked`, () => {
      const cwd = deployFolder('drift-not-deployed');
      const stacks = { ...DEPLOYED, [SERVICE]: status };
      const env = { ...PUSHED, DRIFT_ROLE_ARN: ROLE, STACKS: JSON.stringify(stacks) };
      const run = bash(phase(spec, 'build'), cwd, env, npxStub(STAGED), exportedOf(spec));
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stdout, new RegExp(`${SERVICE}: ${status}, `));
      assert.match(run.stdout, message);
      assert.deepEqual(JSON.parse(readFileSync(join(cwd, 'drift-args.json'), 'utf8')).slice(2, 4), [NETWORK, '-c']);
      assert.equal(JSON.parse(readFileSync(join(cwd, 'npx-args.json'), 'utf8'))[1], 'deploy');
    });
  }

  test('both stacks left by a failed first create: no drift check at all, and the deploy goes on', () => {
    const cwd = deployFolder('drift-all-rolled-back');
    const stacks = {
      [NETWORK]: 'ROLLBACK_COMPLETE',
      [SERVICE]: 'ROLLBACK_COMPLETE',
    };
    const env = { ...PUSHED, DRIFT_ROLE_ARN: ROLE, STACKS: JSON.stringify(stacks) };
    const run = bash(phase(spec, 'build'), cwd, env, npxStub(STAGED), exportedOf(spec));
    assert.equal(run.status, 0, run.stderr);
    assert.throws(() => readFileSync(join(cwd, 'drift-args.json')), 'no cdk drift');
    assert.equal(JSON.parse(readFileSync(join(cwd, 'npx-args.json'), 'utf8'))[1], 'deploy');
  });

  /** Statuses that stop the deploy before it starts, with what the message must say. */
  const STOPPING_STATUSES: Record<string, RegExp> = {
    UPDATE_IN_PROGRESS: new RegExp(`${SERVICE} is UPDATE_IN_PROGRESS: another operation is under way`),
    UPDATE_ROLLBACK_IN_PROGRESS: /is UPDATE_ROLLBACK_IN_PROGRESS: another operation is under way/,
    DELETE_IN_PROGRESS: /is DELETE_IN_PROGRESS: another operation is under way/,
    UPDATE_ROLLBACK_FAILED: /is UPDATE_ROLLBACK_FAILED, which neither drift detection nor cdk deploy can work from/,
    DELETE_FAILED: /is DELETE_FAILED, which neither/,
  };
  for (const [status, message] of Object.entries(STOPPING_STATUSES)) {
    test(`a service stack in ${status} stops the deploy, saying why`, () => {
      const cwd = deployFolder('drift-status-stops');
      const stacks = { ...DEPLOYED, [SERVICE]: status };
      const env = { ...PUSHED, DRIFT_ROLE_ARN: ROLE, STACKS: JSON.stringify(stacks) };
      const run = bash(phase(spec, 'build'), cwd, env, npxStub(STAGED));
      assert.notEqual(run.status, 0);
      assert.match(run.stderr, new RegExp(`DRIFT CHECK FAILED for ${NETWORK} ${SERVICE}`));
      assert.match(run.stderr, message);
      assert.throws(() => readFileSync(join(cwd, 'npx-args.json')), 'no cdk deploy');
    });
  }

  test('takes several stack names or patterns before --, and checks exactly the deployed stacks they select', () => {
    const cwd = deployFolder('drift-names');
    const run = bash(
      [`bash infra/lib/pipeline/drift-check.sh ${SERVICE} '${IDENTITY.id}-Prod*' -- -c a=b`],
      cwd,
      { DRIFT_ROLE_ARN: ROLE },
      npxStub(STAGED),
    );
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(readFileSync(join(cwd, 'drift-args.json'), 'utf8')), [
      'cdk',
      'drift',
      SERVICE,
      PRODUCTION_SERVICE,
      '-c',
      'a=b',
      '--profile',
      'drift-check',
      '--no-color',
      '--fail',
    ]);
  });

  test('without -- or without a stack it stops with its usage, before any AWS call', () => {
    for (const args of [`${SERVICE} -c a=b`, '-- -c a=b']) {
      const cwd = deployFolder('drift-usage');
      const run = bash(
        [`bash infra/lib/pipeline/drift-check.sh ${args}`],
        cwd,
        { DRIFT_ROLE_ARN: ROLE },
        npxStub(STAGED),
      );
      assert.equal(run.status, 2, args);
      assert.match(run.stderr, /usage: drift-check\.sh <stack> \[<stack> \.\.\.\] -- \[cdk arguments \.\.\.\]/);
      assert.throws(() => readFileSync(join(cwd, 'aws-args.json')), 'no aws call');
    }
  });

  test('a commit that changes the production listener rule stops before cdk deploy, which would reset the weights', () => {
    const cwd = deployFolder('rule-change');
    const env = { ...PUSHED, DRIFT_ROLE_ARN: ROLE, RULE_CHANGE: '1' };
    const run = bash(phase(spec, 'build'), cwd, env, npxStub(STAGED));
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /the production listener rule changes: LoadBalancerProductionRule1971DB67 WILL_UPDATE/);
    assert.match(run.stderr, new RegExp(`RULE CHECK FAILED for ${SERVICE}`));
    assert.throws(() => readFileSync(join(cwd, 'npx-args.json')), 'no cdk deploy');
  });

  test('without DRIFT_ROLE_ARN it stops before any cdk command', () => {
    const cwd = deployFolder('drift-no-role');
    const run = bash(phase(spec, 'build'), cwd, PUSHED, npxStub(STAGED));
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /DRIFT_ROLE_ARN is not set/);
    assert.throws(() => readFileSync(join(cwd, 'drift-args.json')));
  });

  test('the URL command reads the named stack only', () => {
    const cwd = folder('outputs');
    writeFileSync(join(cwd, 'cdk-outputs.json'), JSON.stringify({ Other: { ServiceUrl: 'http://other' } }));
    const run = bash([serviceUrlCommand(PRODUCTION_SERVICE)], cwd, {});
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, new RegExp(`${PRODUCTION_SERVICE} has no ServiceUrl output`));
  });
});

suite('Smoke: the URL comes from the deploy action', () => {
  test('without SERVICE_URL it fails with a message instead of testing nothing', () => {
    const run = bash(phase(smokeSpec(), 'build'), ROOT, {});
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /SERVICE_URL is not set: the smoke action passes the URL from the deploy action/);
  });
});

suite('Build: image tags, immutability and the digest', () => {
  const REPOSITORY_URI = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/${IDENTITY.slug}`;
  const spec = buildImageSpec();
  let bin: string;
  let ecr: string;

  /**
   * `aws ecr` and `docker` over a folder that plays the repository: ecr.json maps
   * tags to digests and digests to manifests; refusing, like ECR with immutable
   * tags, to move a tag that exists. Both log their calls to calls.log.
   */
  before(() => {
    bin = folder('bin');
    const common = `const fs = require('node:fs');
const state = () => JSON.parse(fs.existsSync(process.env.ECR) ? fs.readFileSync(process.env.ECR, 'utf8') : '{"tags":{},"manifests":{}}');
const save = (s) => fs.writeFileSync(process.env.ECR, JSON.stringify(s));
const args = process.argv.slice(2);
const arg = (name) => args[args.indexOf(name) + 1];
fs.appendFileSync(process.env.CALLS, require('node:path').basename(process.argv[1]) + ' ' + args.join(' ') + '\\n');
`;
    stub(
      bin,
      'aws',
      `${common}
const s = state();
if (args[1] === 'get-login-password') { console.log('ecr-token'); process.exit(0); }
if (args[1] === 'batch-get-image') {
  const digest = s.tags[arg('--image-ids').replace('imageTag=', '')];
  const field = arg('--query').replace('images[0].', '');
  if (digest === undefined) { console.log('None'); process.exit(0); }
  console.log({ 'imageId.imageDigest': digest, imageManifest: s.manifests[digest], imageManifestMediaType: 'application/vnd.oci.image.manifest.v1+json' }[field]);
  process.exit(0);
}
if (args[1] === 'put-image') {
  const tag = arg('--image-tag');
  if (s.tags[tag] !== undefined) { console.error('ImageTagAlreadyExistsException: ' + tag); process.exit(254); }
  const digest = Object.keys(s.manifests).find((d) => s.manifests[d] === arg('--image-manifest'));
  if (digest === undefined || arg('--image-manifest-media-type') === undefined) { console.error('InvalidParameterException'); process.exit(254); }
  s.tags[tag] = digest; save(s); process.exit(0);
}
if (args[1] === 'describe-image-scan-findings') {
  // A finished basic scan of the pushed digest; SCAN_SEVERITY adds one finding of that severity.
  const findings = process.env.SCAN_SEVERITY ? [{ name: 'CVE-2025-6020', severity: process.env.SCAN_SEVERITY, attributes: [{ key: 'package_name', value: 'pam' }] }] : [];
  console.log(JSON.stringify({ imageId: { imageDigest: arg('--image-id').replace('imageDigest=', '') }, imageScanStatus: { status: 'COMPLETE' }, imageScanFindings: { findings } }));
  process.exit(0);
}
console.error('unexpected aws call'); process.exit(2);`,
    );
    stub(
      bin,
      'docker',
      `${common}
const s = state();
if (args[0] === 'login') { fs.readFileSync(0); process.exit(0); }
if (args[0] === 'build') { s.built = arg('--tag'); save(s); process.exit(0); }
if (args[0] === 'push') {
  const tag = args[1].slice(args[1].lastIndexOf(':') + 1);
  if (s.built !== args[1]) { console.error('no such image ' + args[1]); process.exit(1); }
  if (s.tags[tag] !== undefined) { console.error('tag invalid: ' + tag + ' already exists'); process.exit(1); }
  const manifest = JSON.stringify({ layers: [args[1]] });
  const digest = 'sha256:' + require('node:crypto').createHash('sha256').update(manifest).digest('hex');
  s.manifests[digest] = manifest; s.tags[tag] = digest; save(s); process.exit(0);
}
if (args[0] === 'create') {
  const tag = args[1].slice(args[1].lastIndexOf(':') + 1);
  if (s.tags[tag] === undefined) { console.error('manifest unknown: ' + args[1]); process.exit(1); }
  s.container = args[1]; save(s); console.log('c0ffee'); process.exit(0);
}
if (args[0] === 'cp' && args[1] === 'c0ffee:/app/sbom.cdx.json') {
  fs.writeFileSync(args[2], JSON.stringify({ bomFormat: 'CycloneDX', image: s.container })); process.exit(0);
}
if (args[0] === 'rm' && args[1] === 'c0ffee') process.exit(0);
console.error('unexpected docker call'); process.exit(2);`,
    );
    ecr = join(folder('ecr'), 'ecr.json');
  });

  /** A checkout of the repository at a commit: package.json, a Dockerfile and the build script. */
  function checkout(version: string): string {
    const cwd = folder(`checkout-${version}`);
    writeFileSync(join(cwd, 'package.json'), JSON.stringify({ name: IDENTITY.slug, version }));
    writeFileSync(join(cwd, 'Dockerfile'), 'FROM scratch\n');
    for (const file of [
      'infra/lib/pipeline/build-image.sh',
      'infra/lib/pipeline/steps/image-scan-gate.ts',
      'tools/allow-list.ts',
      'tools/root.ts',
    ]) {
      mkdirSync(dirname(join(cwd, file)), { recursive: true });
      copyFileSync(join(ROOT, file), join(cwd, file));
    }
    return cwd;
  }

  function build(cwd: string, commit: string, env: Record<string, string> = {}): Run & { calls: string[] } {
    const calls = join(cwd, 'calls.log');
    writeFileSync(calls, '');
    const run = bash(
      phase(spec, 'build'),
      cwd,
      { REPOSITORY_URI, COMMIT_ID: commit, ECR: ecr, CALLS: calls, ...env },
      bin,
      exportedOf(spec),
    );
    return { ...run, calls: readFileSync(calls, 'utf8').trimEnd().split('\n') };
  }

  const tags = () => (JSON.parse(readFileSync(ecr, 'utf8')) as { tags: Record<string, string> }).tags;
  const FIRST = '0a1b2c3d4e5f60718293a4b5c6d7e8f901234567';
  const SECOND = 'fedcba9876543210fedcba9876543210fedcba98';

  test('the first build of a version pushes <version>-<sha7>, tags the same manifest <version>, and exports both', () => {
    const cwd = checkout('1.4.0');
    const run = build(cwd, FIRST);
    assert.equal(run.status, 0, run.stderr + run.stdout);
    assert.deepEqual(
      run.calls.filter((call) => call.startsWith('docker')),
      [
        `docker login --username AWS --password-stdin 123456789012.dkr.ecr.eu-west-1.amazonaws.com`,
        `docker build --pull --label org.opencontainers.image.revision=${FIRST} --label org.opencontainers.image.version=1.4.0 --tag ${REPOSITORY_URI}:1.4.0-0a1b2c3 .`,
        `docker push ${REPOSITORY_URI}:1.4.0-0a1b2c3`,
        `docker create ${REPOSITORY_URI}:1.4.0-0a1b2c3`,
        `docker cp c0ffee:/app/sbom.cdx.json sbom.cdx.json`,
        `docker rm c0ffee`,
      ],
    );
    // The SBOM artifact is the one inside the image just pushed.
    assert.deepEqual(JSON.parse(readFileSync(join(cwd, 'sbom.cdx.json'), 'utf8')), {
      bomFormat: 'CycloneDX',
      image: `${REPOSITORY_URI}:1.4.0-0a1b2c3`,
    });
    assert.deepEqual((spec.artifacts as { files: string[] }).files, ['image.json', 'sbom.cdx.json']);
    const { ['1.4.0-0a1b2c3']: digest, ['1.4.0']: versionDigest } = tags();
    assert.match(digest ?? '', /^sha256:[0-9a-f]{64}$/);
    assert.equal(versionDigest, digest);
    assert.deepEqual(Object.keys(run.exported).sort(), [...IMAGE_VARIABLES].sort());
    assert.deepEqual(run.exported, { IMAGE_TAG: '1.4.0-0a1b2c3', IMAGE_DIGEST: digest, VERSION: '1.4.0' });
    assert.deepEqual(JSON.parse(readFileSync(join(cwd, 'image.json'), 'utf8')), {
      repositoryUri: REPOSITORY_URI,
      imageTag: '1.4.0-0a1b2c3',
      versionTag: '1.4.0',
      imageDigest: digest,
      commit: FIRST,
    });
  });

  test('a later commit of the same version gets its own tag and leaves <version> where it was', () => {
    const before = tags()['1.4.0'];
    const run = build(checkout('1.4.0'), SECOND);
    assert.equal(run.status, 0, run.stderr + run.stdout);
    assert.equal(run.exported.IMAGE_TAG, '1.4.0-fedcba9');
    assert.equal(tags()['1.4.0'], before);
    assert.notEqual(tags()['1.4.0-fedcba9'], before);
    assert.match(run.stdout, /:1\.4\.0 exists \(sha256:[0-9a-f]+\): not moved; bump the version to release/);
    assert.ok(!run.calls.some((call) => call.includes('put-image')));
  });

  test('a rerun of a commit reuses the image it pushed instead of failing on the immutable tag', () => {
    const digest = tags()['1.4.0-fedcba9'];
    const run = build(checkout('1.4.0'), SECOND);
    assert.equal(run.status, 0, run.stderr + run.stdout);
    assert.ok(!run.calls.some((call) => call.startsWith('docker build') || call.startsWith('docker push')));
    assert.ok(run.calls.includes(`docker create ${REPOSITORY_URI}:1.4.0-fedcba9`), 'the SBOM of the image reused');
    assert.match(run.stdout, /1\.4\.0-fedcba9 exists \(sha256:[0-9a-f]+\): this commit was built before, reusing it/);
    assert.deepEqual(run.exported, { IMAGE_TAG: '1.4.0-fedcba9', IMAGE_DIGEST: digest, VERSION: '1.4.0' });
  });

  test('a release (a new version) gets its semver tag', () => {
    const run = build(checkout('1.5.0'), SECOND);
    assert.equal(run.status, 0, run.stderr + run.stdout);
    assert.equal(tags()['1.5.0'], tags()['1.5.0-fedcba9']);
    assert.equal(run.exported.IMAGE_TAG, '1.5.0-fedcba9');
  });

  test('after the push, the scan gate reads the scan of the pushed digest, and a HIGH finding fails the Build', () => {
    const clean = build(checkout('1.5.0'), SECOND);
    assert.equal(clean.status, 0, clean.stderr + clean.stdout);
    const digest = tags()['1.5.0-fedcba9'];
    assert.ok(
      clean.calls.includes(
        `aws ecr describe-image-scan-findings --repository-name ${IDENTITY.slug} --image-id imageDigest=${digest} --output json`,
      ),
      clean.calls.join('\n'),
    );
    const high = build(checkout('1.5.0'), SECOND, { SCAN_SEVERITY: 'HIGH' });
    assert.equal(high.status, 1);
    assert.match(high.stdout, /HIGH pam CVE-2025-6020 \(blocking\)/);
    const medium = build(checkout('1.5.0'), SECOND, { SCAN_SEVERITY: 'MEDIUM' });
    assert.equal(medium.status, 0, medium.stderr + medium.stdout);
  });

  test('a COMMIT_ID that is not a SHA, or a version that is not semver, fails before anything is pushed', () => {
    const badCommit = build(checkout('1.4.0'), 'main');
    assert.notEqual(badCommit.status, 0);
    assert.match(badCommit.stderr, /COMMIT_ID="main" is not a git commit SHA/);
    const badVersion = build(checkout('v1'), FIRST);
    assert.notEqual(badVersion.status, 0);
    assert.match(badVersion.stderr, /package\.json version "v1" is not semver/);
    for (const run of [badCommit, badVersion]) assert.deepEqual(run.calls, ['']);
    assert.deepEqual(badVersion.exported, {});
  });
});

suite("CodeBuild's own image runs the scripts on the Node.js package.json asks for", () => {
  const { template } = buildPipeline();
  const projects = resourcesOfType(template, 'AWS::CodeBuild::Project').map(([id]) => {
    const image = (projectProperties(template, id).Environment as { Image: string }).Image;
    return { id, image, install: buildSpecOf(template, id).phases.install };
  });
  const engines = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } })
    .engines.node;

  test("every project on CodeBuild's own images selects the engines major version, not the image default", () => {
    const managed = projects.filter(({ image }) => image.startsWith('aws/codebuild/'));
    assert.deepEqual(
      managed.map(({ id, image }) => [id.replace(/[0-9A-F]{8}$/, ''), image]),
      [
        ['BuildImage', 'aws/codebuild/amazonlinux-aarch64-standard:3.0'],
        ['VerifySignature', 'aws/codebuild/standard:7.0'],
        ['TagDeployed', 'aws/codebuild/standard:7.0'],
        ['Resilience', 'aws/codebuild/standard:7.0'],
        ['LoadTestStaging', 'aws/codebuild/standard:7.0'],
      ],
    );
    const major = /^>=(\d+)$/.exec(engines)?.[1];
    assert.ok(major !== undefined, `package.json engines.node ${engines} is not >=<major>`);
    for (const { id, install } of managed) {
      assert.deepEqual(install?.['runtime-versions'], { nodejs: major }, id);
    }
  });

  test('projects on the Node image name no runtime: CodeBuild selects none on a custom image', () => {
    const custom = projects.filter(({ image }) => !image.startsWith('aws/codebuild/'));
    // Two of them deploy the edge stacks, one per environment.
    assert.equal(custom.length, 10);
    for (const { id, install } of custom) assert.equal(install?.['runtime-versions'], undefined, id);
  });

  test("the Build project's commands are unchanged by the runtime selection", () => {
    const spec = buildSpecOf(template, projects.find(({ id }) => id.startsWith('BuildImage'))!.id);
    assert.deepEqual(spec.phases.build?.commands, phase(buildImageSpec(), 'build'));
  });
});
