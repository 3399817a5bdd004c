/**
 * The pre-deploy stop on a production listener rule change (rule-change-check.sh and rule-change.ts), on two
 * synthesised templates of the same environment: before and after a change docs/deploy.md tells a user to make.
 */
import { suite, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { App } from 'aws-cdk-lib';
import cdkJson from '../../cdk.json' with { type: 'json' };
import { addServiceStacks } from '../../infra/lib/service-stacks.ts';
import { environmentStackName } from '../../infra/lib/names.ts';
import { STAGING, type EnvironmentSettings } from '../../infra/lib/environments.ts';
import { productionRuleChanges } from '../../infra/lib/pipeline/rule-change.ts';
import { ROOT } from '../../tools/root.ts';
import { CERTIFICATE_ARN } from './helpers.ts';

const SERVICE = environmentStackName('Staging', 'Service');
type Template = { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };

/** The staging service stack's template, as `cdk synth` writes it (path metadata on, as the CLI sets it). */
function synthesise(settings: EnvironmentSettings, imageTag = '1.2.3'): Template {
  const app = new App({ context: { ...cdkJson.context, 'aws:cdk:enable-path-metadata': true } });
  addServiceStacks(app, { imageTag, environments: [settings] });
  return app.synth().getStackByName(SERVICE).template as Template;
}

const deployed = synthesise(STAGING);
const withDomain = synthesise({
  ...STAGING,
  service: { ...STAGING.service, domainName: 'clock.example.org', certificateArn: CERTIFICATE_ARN },
});
const newImage = synthesise(STAGING, '1.2.4');
const ruleId = Object.keys(deployed.Resources).find((id) => id.startsWith('LoadBalancerProductionRule'))!;

suite('which deploys change the production listener rule', () => {
  test('adding a domain does not: the domain is an alias on the distribution, the rule stays on its listener', () => {
    assert.deepEqual(productionRuleChanges(deployed, withDomain), []);
  });

  test('a new image does not, though it replaces the task definition', () => {
    assert.deepEqual(productionRuleChanges(deployed, newImage), []);
  });

  test('any other change to the rule does, in place (here its priority)', () => {
    const changed = structuredClone(deployed);
    changed.Resources[ruleId]!.Properties = { ...changed.Resources[ruleId]!.Properties, Priority: 2 };
    assert.deepEqual(productionRuleChanges(deployed, changed), [`${ruleId} WILL_UPDATE`]);
  });
});

suite('rule-change-check.sh, before cdk deploy', () => {
  let workspace: string;
  before(() => {
    workspace = mkdtempSync(join(tmpdir(), 'rule-check-'));
  });
  after(() => rmSync(workspace, { recursive: true, force: true }));

  /**
   * `aws` answering the stack's STATUS ("missing": does not exist) and the DEPLOYED template, and `npx cdk synth`
   * writing the NEXT template into a cloud assembly, as the CLI lays it out.
   */
  function run(status: string, deployedTemplate: Template, next: Template) {
    const bin = mkdtempSync(join(workspace, 'bin-'));
    const files = { deployed: join(bin, 'deployed.json'), next: join(bin, 'next.json') };
    writeFileSync(files.deployed, JSON.stringify(deployedTemplate));
    writeFileSync(files.next, JSON.stringify(next));
    const stub = (name: string, source: string) => {
      writeFileSync(
        join(bin, name),
        `#!${process.execPath}\nconst fs = require('node:fs');\nconst args = process.argv.slice(2);\n${source}`,
      );
      chmodSync(join(bin, name), 0o755);
    };
    stub(
      'aws',
      `if (!args.includes('rule-check')) { console.error('not the lookup role profile'); process.exit(2); }
if (args[1] === 'describe-stacks') {
  if (process.env.STATUS === 'missing') { console.error('An error occurred (ValidationError): Stack with id ' + args[3] + ' does not exist'); process.exit(254); }
  console.log(process.env.STATUS); process.exit(0);
}
if (args[1] === 'get-template') { process.stdout.write(fs.readFileSync(${JSON.stringify(files.deployed)})); process.exit(0); }
process.exit(2);`,
    );
    stub(
      'npx',
      `if (args[1] !== 'synth' || args[2] !== ${JSON.stringify(SERVICE)}) process.exit(2);
const out = args[args.indexOf('--output') + 1];
fs.mkdirSync(out, { recursive: true });
fs.copyFileSync(${JSON.stringify(files.next)}, out + '/' + ${JSON.stringify(`${SERVICE}.template.json`)});
fs.writeFileSync(out + '/manifest.json', JSON.stringify({ artifacts: { ${JSON.stringify(SERVICE)}: { type: 'aws:cloudformation:stack', properties: { templateFile: ${JSON.stringify(`${SERVICE}.template.json`)} } } } }));`,
    );
    return spawnSync('bash', ['infra/lib/pipeline/rule-change-check.sh', SERVICE, '--', '-c', 'imageTag=1.2.4'], {
      cwd: ROOT,
      env: {
        PATH: [bin, dirname(process.execPath), '/usr/bin', '/bin'].join(':'),
        STATUS: status,
        DRIFT_ROLE_ARN: 'arn:aws:iam::123456789012:role/cdk-hnb659fds-lookup-role-123456789012-eu-west-1',
      },
      encoding: 'utf8',
    });
  }

  test('a deploy that changes the rule stops, pointing to the recovery', () => {
    const changed = structuredClone(deployed);
    changed.Resources[ruleId]!.Properties = { ...changed.Resources[ruleId]!.Properties, Priority: 2 };
    const result = run('UPDATE_COMPLETE', deployed, changed);
    assert.equal(result.status, 1, result.stdout);
    assert.match(result.stderr, new RegExp(`${SERVICE}: the production listener rule changes: ${ruleId} WILL_UPDATE`));
    assert.match(result.stderr, new RegExp(`RULE CHECK FAILED for ${SERVICE}: this deploy changes the production`));
    assert.match(result.stderr, /docs\/deploy\.md, The listener rule's weights/);
  });

  test('a deploy of a new image, or of a domain, goes on', () => {
    for (const next of [newImage, withDomain]) {
      const result = run('UPDATE_COMPLETE', deployed, next);
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stdout, /the production listener rule is unchanged/);
    }
  });

  test('a stack not deployed yet, or left by a failed first create, has no rule to change', () => {
    for (const status of ['missing', 'ROLLBACK_COMPLETE']) {
      const result = run(status, deployed, withDomain);
      assert.equal(result.status, 0, `${status}: ${result.stderr}`);
      assert.match(result.stdout, /no rule to change/, status);
    }
  });
});
