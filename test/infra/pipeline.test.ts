import { test, suite } from 'node:test';
import assert from 'node:assert/strict';
import { Stack, type CfnResource } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { NODE_BUILD_IMAGE } from '../../infra/lib/pipeline-stack.ts';
import { IMAGE_CONTRACT } from '../../infra/lib/service/image-contract.ts';
import { PROMOTION_OUTPUTS } from '../../infra/lib/pipeline/buildspecs.ts';
import {
  CONNECTION_ARN,
  actionEnvironment,
  buildPipeline,
  buildSpecOf,
  commandsOf,
  projectOf,
  projectProperties,
  resourcesOfType,
  stage,
  stages,
} from './pipeline-fixture.ts';
import { IDENTITY } from '../../src/identity.ts';
import { environmentStackName, sharedStackName } from '../../infra/lib/names.ts';

const ALL_STAGES = [
  'Source',
  'Test',
  'UpdatePipeline',
  'Build',
  'Deploy-Staging',
  'Smoke-Staging',
  'Verify-Staging',
  'Approve-Production',
  'Deploy-Production',
  'Smoke-Production',
];

const { template, stack, registry, repository } = buildPipeline();

interface Grant {
  /** Logical ID of the role the policy is attached to. */
  readonly role: string;
  readonly action: string;
  readonly resources: readonly unknown[];
}

/**
 * Every action every role is allowed, one entry per action, so that the checks do not
 * depend on how CDK merges statements (cdk.json's minimizePolicies).
 */
function grants(): Grant[] {
  return resourcesOfType(template, 'AWS::IAM::Policy').flatMap(([, policy]) => {
    const roles = policy.Properties!.Roles as { Ref: string }[];
    const { Statement } = policy.Properties!.PolicyDocument as {
      Statement: { Effect: string; Action: string | string[]; Resource: unknown }[];
    };
    return roles.flatMap(({ Ref }) =>
      Statement.filter(({ Effect }) => Effect === 'Allow').flatMap(({ Action, Resource }) =>
        [Action].flat().map((action) => ({ role: Ref, action, resources: [Resource].flat() })),
      ),
    );
  });
}

/** The registry stack's value behind a cross-stack reference (an export, or a stack output). */
function registryValue(reference: unknown): unknown {
  const outputs = (
    Template.fromStack(registry).toJSON() as {
      Outputs: Record<string, { Value: unknown; Export?: { Name: string } }>;
    }
  ).Outputs;
  const imported = (reference as { 'Fn::ImportValue'?: string })['Fn::ImportValue'];
  if (imported !== undefined) return Object.values(outputs).find((output) => output.Export?.Name === imported)?.Value;
  const output = (reference as { 'Fn::GetStackOutput'?: { StackName: string; OutputName: string } })[
    'Fn::GetStackOutput'
  ];
  assert.equal(output?.StackName, registry.stackName, JSON.stringify(reference));
  return outputs[output.OutputName]?.Value;
}

const roleOfProject = (logicalId: string) =>
  (projectProperties(template, logicalId).ServiceRole as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];

suite('pipeline stages', () => {
  test('the stages keep plain names, in order, with the self-update after Test: an untested commit cannot rewrite the pipeline', () => {
    assert.deepEqual(
      stages(template).map((s) => s.Name),
      ALL_STAGES,
    );
  });

  test('without the approval, the pipeline goes from Smoke-Staging straight to Deploy-Production', () => {
    const { template: withoutApproval } = buildPipeline({ requireApproval: false });
    assert.deepEqual(
      stages(withoutApproval).map((s) => s.Name),
      ALL_STAGES.filter((name) => name !== 'Approve-Production'),
    );
    const categories = stages(withoutApproval).flatMap((s) => s.Actions.map((a) => a.ActionTypeId.Category));
    assert.ok(!categories.includes('Approval'));
  });

  test('with the approval (the default), Approve holds one manual approval that notifies the topic', () => {
    const [approval, ...others] = stage(template, 'Approve-Production').Actions;
    assert.equal(others.length, 0);
    assert.equal(approval!.ActionTypeId.Category, 'Approval');
    assert.equal(approval!.ActionTypeId.Provider, 'Manual');
    assert.deepEqual(approval!.Configuration?.NotificationArn, {
      Ref: stack.getLogicalId(stack.notificationTopic.node.defaultChild as CfnResource),
    });
  });

  test('Source is the GitHub repository through the CodeConnections connection, triggered on push, with no token', () => {
    const [source] = stage(template, 'Source').Actions;
    assert.equal(source!.ActionTypeId.Provider, 'CodeStarSourceConnection');
    assert.deepEqual(source!.Configuration, {
      ConnectionArn: CONNECTION_ARN,
      FullRepositoryId: `octo-org/${IDENTITY.slug}`,
      BranchName: 'main',
      DetectChanges: true,
    });
    const text = JSON.stringify(template.toJSON());
    assert.doesNotMatch(text, /OAuthToken|secretsmanager|ghp_/i);
  });

  test('the source role may use exactly that connection, under both of its service prefixes', () => {
    const uses = grants().filter(({ action }) => action.endsWith(':UseConnection'));
    assert.deepEqual(uses.map(({ action }) => action).sort(), [
      'codeconnections:UseConnection',
      'codestar-connections:UseConnection',
    ]);
    for (const { resources } of uses) assert.deepEqual(resources, [CONNECTION_ARN]);
    assert.equal(new Set(uses.map(({ role }) => role)).size, 1);
  });
});

suite('Test stage', () => {
  const [staticAnalysis, unitTest, ...others] = stage(template, 'Test').Actions;

  test('StaticAnalysis and UnitTest are CodeBuild actions with the same runOrder, so they run in parallel', () => {
    assert.equal(others.length, 0);
    assert.equal(staticAnalysis!.Name, 'StaticAnalysis');
    assert.equal(unitTest!.Name, 'UnitTest');
    assert.equal(staticAnalysis!.ActionTypeId.Provider, 'CodeBuild');
    assert.equal(unitTest!.ActionTypeId.Provider, 'CodeBuild');
    assert.equal(staticAnalysis!.RunOrder, unitTest!.RunOrder);
    assert.notEqual(projectOf(staticAnalysis!), projectOf(unitTest!));
  });

  test('StaticAnalysis runs secrets detection, lint, typecheck, cdk synth (with cdk-nag) and a high-severity audit of production dependencies', () => {
    const commands = commandsOf(buildSpecOf(template, projectOf(staticAnalysis!)));
    assert.deepEqual(commands, [
      'npm ci --no-audit --no-fund',
      'npm run scan',
      'npm run lint',
      'npm run typecheck',
      `npx cdk synth --quiet -c connectionArn=${CONNECTION_ARN} -c githubOwner=octo-org`,
      'node scripts/audit.ts --require-endpoint',
    ]);
  });

  test('UnitTest installs Debian Chromium, runs the tests with reports and publishes JUnit and LCOV coverage to report groups', () => {
    const spec = buildSpecOf(template, projectOf(unitTest!));
    assert.deepEqual(spec.phases.build?.commands, ['REQUIRE_BROWSER=1 REQUIRE_HAPROXY=1 npm run test:ci']);
    assert.match(spec.phases.install!.commands[0]!, /apt-get install .*chromium/);
    // UnitTest's own two; Verify-Staging's have their own names (pipeline-verify.test.ts).
    const groups = Object.fromEntries(
      resourcesOfType(template, 'AWS::CodeBuild::ReportGroup')
        .filter(([id]) => /^(JUnit|Coverage)/.test(id))
        .map(([id, group]) => [group.Properties!.Type, id]),
    );
    assert.deepEqual(spec.reports, {
      [`<${groups.TEST}.Arn>`]: { files: ['junit.xml'], 'base-directory': 'reports', 'file-format': 'JUNITXML' },
      [`<${groups.CODE_COVERAGE}.Arn>`]: {
        files: ['lcov.info'],
        'base-directory': 'reports',
        'file-format': 'LCOVINFO',
      },
    });
    const reportWriters = grants().filter(
      ({ action, role }) => action === 'codebuild:CreateReport' && role === roleOfProject(projectOf(unitTest!)),
    );
    assert.deepEqual(
      reportWriters.flatMap(({ resources }) => resources),
      Object.values(groups).map((id) => ({ 'Fn::GetAtt': [id, 'Arn'] })),
    );
  });

  test('the test projects run on the Debian Node 24 image', () => {
    for (const action of [staticAnalysis!, unitTest!]) {
      const environment = projectProperties(template, projectOf(action)).Environment as Record<string, unknown>;
      assert.equal(environment.Image, NODE_BUILD_IMAGE);
      assert.equal(environment.PrivilegedMode, false);
    }
  });
});

suite('Build stage', () => {
  const [build] = stage(template, 'Build').Actions;
  const buildProject = projectOf(build!);

  test('the image project is privileged (Docker), and it is the only one', () => {
    const privileged = resourcesOfType(template, 'AWS::CodeBuild::Project')
      .filter(([, project]) => (project.Properties!.Environment as { PrivilegedMode: boolean }).PrivilegedMode)
      .map(([id]) => id);
    assert.deepEqual(privileged, [buildProject]);
  });

  test("the image project runs on ARM, the tasks' architecture, so Docker builds an arm64 image natively", () => {
    assert.equal(IMAGE_CONTRACT.architecture, 'arm64');
    const environment = projectProperties(template, buildProject).Environment as Record<string, unknown>;
    assert.equal(environment.Type, 'ARM_CONTAINER');
    assert.equal(environment.Image, 'aws/codebuild/amazonlinux-aarch64-standard:3.0');
    // Every other project runs on x86_64: only the image's architecture matters.
    const arm = resourcesOfType(template, 'AWS::CodeBuild::Project')
      .filter(([, project]) => (project.Properties!.Environment as { Type: string }).Type === 'ARM_CONTAINER')
      .map(([id]) => id);
    assert.deepEqual(arm, [buildProject]);
  });

  test('it builds and tags from the commit the Source stage checked out, and exports the tag and digest', () => {
    assert.equal(build!.Namespace, 'Build');
    assert.deepEqual(actionEnvironment(build!), { COMMIT_ID: '#{Source.CommitId}' });
    const spec = buildSpecOf(template, buildProject);
    assert.equal(spec.phases.build?.commands[0], 'bash infra/lib/pipeline/build-image.sh');
    assert.deepEqual(spec.env?.['exported-variables'], ['IMAGE_TAG', 'IMAGE_DIGEST', 'VERSION']);
    assert.deepEqual(spec.artifacts?.files, ['image.json', 'sbom.cdx.json']);
    const { EnvironmentVariables: variables } = projectProperties(template, buildProject).Environment as {
      EnvironmentVariables: { Name: string; Type: string; Value: unknown }[];
    };
    assert.deepEqual(
      variables.map(({ Name, Type }) => [Name, Type]),
      [['REPOSITORY_URI', 'PLAINTEXT']],
    );
    // <account>.dkr.ecr.<region>.amazonaws.com/<name>, from the registry stack's repository.
    assert.match(
      JSON.stringify(variables[0]!.Value),
      new RegExp(`"StackName":"${sharedStackName('Registry')}".*\\.dkr\\.ecr\\.`),
    );
  });

  test('only the image project may push images, TagDeployed only tag them, and only in our repository', () => {
    const pushActions = ['ecr:PutImage', 'ecr:InitiateLayerUpload', 'ecr:UploadLayerPart', 'ecr:CompleteLayerUpload'];
    const pushers = grants().filter(({ action }) => pushActions.includes(action) || action === 'ecr:*');
    const tagDeployed = roleOfProject(projectOf(stage(template, 'Smoke-Staging').Actions[1]!));
    assert.deepEqual(
      pushers
        .filter(({ role }) => role !== tagDeployed)
        .map(({ action }) => action)
        .sort(),
      [...pushActions].sort(),
    );
    // PutImage with a manifest ECR already holds adds a tag; without layer uploads no new image can be made.
    assert.deepEqual(
      grants()
        .filter(({ role, action }) => role === tagDeployed && action.startsWith('ecr:'))
        .map(({ action }) => action)
        .sort(),
      ['ecr:BatchGetImage', 'ecr:PutImage'],
    );
    const repositoryArn = { 'Fn::GetAtt': [registry.getLogicalId(repository.node.defaultChild as CfnResource), 'Arn'] };
    for (const { role, resources } of pushers) {
      assert.equal(role, role === tagDeployed ? tagDeployed : roleOfProject(buildProject));
      assert.deepEqual(resources.map(registryValue), [repositoryArn]);
    }
    // The registry login (Build's docker login, the signature check's notation login) is the one ECR call with no
    // resource-level permission.
    const wildcardEcr = grants().filter(
      ({ action, resources }) => action.startsWith('ecr:') && resources.includes('*'),
    );
    assert.deepEqual(
      wildcardEcr.map(({ action }) => action),
      ['ecr:GetAuthorizationToken', 'ecr:GetAuthorizationToken'],
    );
  });
});

suite('Deploy and Smoke stages', () => {
  for (const environment of ['Staging', 'Production'] as const) {
    const [verify, edge, deploy] = stage(template, `Deploy-${environment}`).Actions;
    const [smoke] = stage(template, `Smoke-${environment}`).Actions;

    test(`Deploy-${environment} deploys the edge stack in us-east-1 before the service, with a project of that region's roles`, () => {
      assert.equal(edge!.Name, 'Deploy-Edge');
      assert.equal(edge!.RunOrder, 1);
      assert.equal(deploy!.RunOrder, 2);
      const commands = buildSpecOf(template, projectOf(edge!)).phases.build!.commands;
      const stack = environmentStackName(environment, 'Edge');
      const context = `-c connectionArn=${CONNECTION_ARN} -c githubOwner=octo-org`;
      assert.deepEqual(commands, [
        `bash infra/lib/pipeline/drift-check.sh ${stack} -- ${context}`,
        `npx cdk deploy ${stack} --exclusively ${context} --require-approval never --progress events`,
      ]);
      const variables = (projectProperties(template, projectOf(edge!)).Environment as { EnvironmentVariables: unknown })
        .EnvironmentVariables;
      assert.match(JSON.stringify(variables), /"Name":"DRIFT_REGION","Type":"PLAINTEXT","Value":"us-east-1"/);
      assert.match(JSON.stringify(variables), /cdk-hnb659fds-lookup-role-",\{"Ref":"AWS::AccountId"\},"-us-east-1"/);
    });

    test(`Deploy-${environment} runs cdk deploy of the ${environment.toLowerCase()} stacks with the digest Build pushed`, () => {
      assert.equal(deploy!.ActionTypeId.Provider, 'CodeBuild');
      assert.deepEqual(actionEnvironment(deploy!), {
        IMAGE_TAG: '#{Build.IMAGE_TAG}',
        IMAGE_DIGEST: '#{Build.IMAGE_DIGEST}',
      });
      const spec = buildSpecOf(template, projectOf(deploy!));
      const cdkDeploy = spec.phases.build!.commands.find((command) => command.startsWith('npx cdk deploy'));
      assert.equal(
        cdkDeploy,
        `npx cdk deploy ${environmentStackName(environment, 'Network')} ${environmentStackName(environment, 'Service')} ` +
          `--exclusively -c connectionArn=${CONNECTION_ARN} -c githubOwner=octo-org ` +
          '-c "imageTag=$IMAGE_TAG" -c "imageDigest=$IMAGE_DIGEST" --require-approval never --progress events ' +
          '--outputs-file cdk-outputs.json',
      );
      assert.deepEqual(spec.env?.['exported-variables'], ['SERVICE_URL', ...Object.keys(PROMOTION_OUTPUTS)]);
      assert.equal(deploy!.Namespace, `Deploy${environment}`);
    });

    test(`Deploy-${environment} first verifies the signature of the digest Build pushed; the deploys wait for it`, () => {
      assert.equal(verify!.Name, 'VerifySignature');
      assert.equal(verify!.RunOrder, 1);
      assert.equal(deploy!.RunOrder, 2);
      assert.deepEqual(actionEnvironment(verify!), { IMAGE_DIGEST: '#{Build.IMAGE_DIGEST}' });
      const spec = buildSpecOf(template, projectOf(verify!));
      assert.deepEqual(spec.phases.build!.commands.at(-1), 'bash infra/lib/pipeline/steps/verify-signature.sh');
      assert.match(spec.phases.install!.commands.join('\n'), /dpkg -i .*aws-signer-notation-cli/);
      const { Environment } = projectProperties(template, projectOf(verify!)) as {
        Environment: { EnvironmentVariables: { Name: string }[] };
      };
      assert.deepEqual(
        Environment.EnvironmentVariables.map(({ Name }) => Name).filter(
          (name) => name !== 'CODEBUILD_CONFIG_AUTO_DISCOVER',
        ),
        ['REPOSITORY_URI', 'SIGNING_PROFILE_ARN'],
      );
    });

    test(`Smoke-${environment} runs npm run smoke against the URL Deploy-${environment} exported`, () => {
      assert.equal(smoke!.ActionTypeId.Provider, 'CodeBuild');
      assert.deepEqual(actionEnvironment(smoke!), { SERVICE_URL: `#{Deploy${environment}.SERVICE_URL}` });
      assert.ok(commandsOf(buildSpecOf(template, projectOf(smoke!))).includes('npm run smoke -- "$SERVICE_URL"'));
    });

    test(`after a passed Smoke-${environment}, TagDeployed tags the image Build pushed deployed-${environment.toLowerCase()}-*`, () => {
      const [first, tag, ...rest] = stage(template, `Smoke-${environment}`).Actions;
      assert.deepEqual(rest, []);
      assert.equal(first!.RunOrder, 1);
      // A later runOrder runs only once every action before it in the stage succeeded.
      assert.equal(tag!.Name, 'TagDeployed');
      assert.equal(tag!.RunOrder, 2);
      assert.deepEqual(actionEnvironment(tag!), {
        IMAGE_TAG: '#{Build.IMAGE_TAG}',
        DEPLOY_ENVIRONMENT: environment.toLowerCase(),
      });
      assert.deepEqual(commandsOf(buildSpecOf(template, projectOf(tag!))), ['bash infra/lib/pipeline/tag-deployed.sh']);
      const { Environment } = projectProperties(template, projectOf(tag!)) as {
        Environment: { Image: string; EnvironmentVariables: { Name: string }[] };
      };
      assert.equal(Environment.Image, 'aws/codebuild/standard:7.0');
      assert.deepEqual(
        Environment.EnvironmentVariables.map(({ Name }) => Name),
        ['REPOSITORY_NAME'],
      );
    });
  }

  test('no action updates ECS directly: CDK stays the only owner of the task definition', () => {
    const providers = stages(template).flatMap((s) => s.Actions.map((a) => a.ActionTypeId.Provider));
    assert.ok(!providers.includes('ECS') && !providers.includes('CodeDeployToECS'), providers.join());
  });

  test('cdk deploy may assume the deploy and file-publishing bootstrap roles, the drift check the lookup role', () => {
    const assumers = grants().filter(
      ({ action, resources }) => action === 'sts:AssumeRole' && JSON.stringify(resources).includes('cdk-'),
    );
    const roleOf = (name: string, index = 0) => roleOfProject(projectOf(stage(template, name).Actions[index]!));
    const registryRole = roleOfProject(projectOf(stage(template, 'UpdatePipeline').Actions[1]!));
    // The edge projects (after the signature check in each Deploy stage) in us-east-1, the others in eu-west-1.
    const edgeRoles = ['Deploy-Staging', 'Deploy-Production'].map((name) => roleOf(name, 1));
    const deployRoles = [
      roleOf('UpdatePipeline'),
      ...['Deploy-Staging', 'Deploy-Production'].map((name) => roleOf(name, 2)),
      registryRole,
      ...edgeRoles,
    ];
    // One grant of deploy and file-publishing per project, and one of lookup per drift-checking project.
    assert.deepEqual([...new Set(assumers.map(({ role }) => role))].sort(), [...deployRoles].sort());
    for (const role of deployRoles) {
      const region = edgeRoles.includes(role) ? 'us-east-1' : 'eu-west-1';
      const bootstrapRole = (name: string) =>
        `{"Fn::Join":["",["arn:aws:iam::",ACCOUNT,":role/cdk-hnb659fds-${name}-role-",ACCOUNT,"-${region}"]]}`;
      const drift = role !== roleOf('UpdatePipeline');
      assert.deepEqual(
        assumers
          .filter((grant) => grant.role === role)
          .flatMap(({ resources }) => resources)
          .map((arn) => JSON.stringify(arn).replace(/\{"Ref":"AWS::AccountId"\}/g, 'ACCOUNT'))
          .sort(),
        ['deploy', 'file-publishing', ...(drift ? ['lookup'] : [])].map(bootstrapRole).sort(),
      );
    }
  });

  for (const environment of ['Staging', 'Production']) {
    test(`Deploy-${environment} checks its stacks for drift, as the lookup role, before cdk deploy`, () => {
      const project = projectOf(stage(template, `Deploy-${environment}`).Actions.find((a) => a.Name === 'Deploy')!);
      const commands = buildSpecOf(template, project).phases.build!.commands;
      const drift = commands.findIndex((command) => command.startsWith('bash infra/lib/pipeline/drift-check.sh'));
      assert.equal(
        commands[drift],
        `bash infra/lib/pipeline/drift-check.sh ${environmentStackName(environment, 'Network')} ` +
          `${environmentStackName(environment, 'Service')} -- -c connectionArn=${CONNECTION_ARN} ` +
          '-c githubOwner=octo-org -c "imageTag=$IMAGE_TAG" -c "imageDigest=$IMAGE_DIGEST"',
      );
      const deploy = commands.findIndex((command) => command.startsWith('npx cdk deploy'));
      // Then the stop on a production listener rule change, also before cdk deploy.
      const rule = commands.findIndex((command) => command.startsWith('bash infra/lib/pipeline/rule-change-check.sh'));
      assert.equal(
        commands[rule],
        `bash infra/lib/pipeline/rule-change-check.sh ${environmentStackName(environment, 'Service')} -- ` +
          `-c connectionArn=${CONNECTION_ARN} -c githubOwner=octo-org -c "imageTag=$IMAGE_TAG" -c "imageDigest=$IMAGE_DIGEST"`,
      );
      assert.ok(drift < rule && rule < deploy);
      const variables = (projectProperties(template, project).Environment as { EnvironmentVariables: unknown[] })
        .EnvironmentVariables;
      assert.match(JSON.stringify(variables), /"Name":"DRIFT_ROLE_ARN".*cdk-hnb659fds-lookup-role-/);
    });
  }
});

suite('self-update', () => {
  test('then the Registry, which every environment shares, is deployed once, drift-checked, before any environment', () => {
    const [selfMutate, registryAction, ...others] = stage(template, 'UpdatePipeline').Actions;
    assert.deepEqual(others, []);
    assert.equal(registryAction!.Name, 'Registry');
    assert.ok(registryAction!.RunOrder > selfMutate!.RunOrder);
    const context = `-c connectionArn=${CONNECTION_ARN} -c githubOwner=octo-org`;
    assert.deepEqual(commandsOf(buildSpecOf(template, projectOf(registryAction!))), [
      // The drift check reads the stack's status with the AWS CLI, which the Node image lacks.
      'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends awscli >/dev/null',
      'npm ci --no-audit --no-fund',
      `bash infra/lib/pipeline/drift-check.sh ${sharedStackName('Registry')} -- ${context}`,
      `npx cdk deploy ${sharedStackName('Registry')} --exclusively ${context} --require-approval never --progress events`,
    ]);
    // No other action deploys it: every other cdk deploy names its stacks and deploys them alone.
    const deploys = stages(template)
      .flatMap(({ Actions }) => Actions)
      .filter((action) => action.ActionTypeId.Provider === 'CodeBuild')
      .flatMap((action) => commandsOf(buildSpecOf(template, projectOf(action))))
      .filter((command) => command.startsWith('npx cdk deploy'));
    assert.equal(deploys.filter((command) => command.includes(sharedStackName('Registry'))).length, 1);
    for (const command of deploys) assert.match(command, / --exclusively /);
  });

  test('UpdatePipeline deploys this stack alone, with the same context, and the pipeline restarts after changing', () => {
    const [selfMutate] = stage(template, 'UpdatePipeline').Actions;
    assert.deepEqual(commandsOf(buildSpecOf(template, projectOf(selfMutate!))), [
      'npm ci --no-audit --no-fund',
      `npx cdk deploy ${sharedStackName('Pipeline')} --exclusively -c connectionArn=${CONNECTION_ARN} ` +
        '-c githubOwner=octo-org --require-approval never --progress events',
    ]);
    template.hasResourceProperties('AWS::CodePipeline::Pipeline', {
      RestartExecutionOnUpdate: true,
      PipelineType: 'V2',
    });
  });
});

suite('safety: encryption, logs, timeouts, notifications', () => {
  const keyRef = { 'Fn::GetAtt': [stack.getLogicalId(stack.key.node.defaultChild as CfnResource), 'Arn'] };

  test('the artifacts bucket is encrypted with the pipeline key, private and TLS-only', () => {
    template.hasResourceProperties('AWS::CodePipeline::Pipeline', {
      ArtifactStore: Match.objectLike({ EncryptionKey: { Id: keyRef, Type: 'KMS' } }),
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          Match.objectLike({
            ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyRef },
          }),
        ],
      },
      PublicAccessBlockConfiguration: Match.objectLike({ BlockPublicAcls: true, RestrictPublicBuckets: true }),
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  test('every CodeBuild project has the KMS key, a timeout and its own encrypted log group, kept a year', () => {
    const projects = resourcesOfType(template, 'AWS::CodeBuild::Project');
    // Ten, Verify-Staging's three (Acceptance, LoadTestStaging, Resilience), and one edge deploy project per environment.
    assert.equal(projects.length, 15);
    const logGroups = new Map(
      resourcesOfType(template, 'AWS::Logs::LogGroup').map(([id, group]) => [id, group.Properties!]),
    );
    for (const [id, project] of projects) {
      const properties = project.Properties!;
      assert.deepEqual(properties.EncryptionKey, keyRef, id);
      assert.ok(typeof properties.TimeoutInMinutes === 'number' && properties.TimeoutInMinutes <= 90, id);
      const logGroup = (properties.LogsConfig as { CloudWatchLogs: { GroupName: { Ref: string } } }).CloudWatchLogs
        .GroupName.Ref;
      assert.equal(logGroups.get(logGroup)!.RetentionInDays, 365, id);
      assert.deepEqual(logGroups.get(logGroup)!.KmsKeyId, keyRef, id);
    }
  });

  test("every project's log group outlives the stack, as the record of what reached production", () => {
    const groups = Object.entries(template.toJSON().Resources as Record<string, Record<string, unknown>>).filter(
      ([, resource]) => resource.Type === 'AWS::Logs::LogGroup',
    );
    // The fifteen projects', and the delivery metrics function's (delivery-metrics.test.ts).
    assert.equal(groups.length, 16);
    for (const [id, group] of groups) {
      assert.deepEqual([group.DeletionPolicy, group.UpdateReplacePolicy], ['Retain', 'Retain'], id);
    }
  });

  test('the log retention is configurable', () => {
    const { template: custom } = buildPipeline({ logRetention: logs.RetentionDays.FIVE_YEARS });
    const retentions = resourcesOfType(custom, 'AWS::Logs::LogGroup').map(
      ([, group]) => group.Properties!.RetentionInDays,
    );
    assert.deepEqual(new Set(retentions), new Set([1827]));
  });

  test('a failed run notifies the topic, which is encrypted and subscribed to by the given email', () => {
    const { template: withEmail, stack: emailStack } = buildPipeline({ notificationEmail: 'oncall@example.com' });
    const topic = { Ref: emailStack.getLogicalId(emailStack.notificationTopic.node.defaultChild as CfnResource) };
    withEmail.hasResourceProperties('AWS::CodeStarNotifications::NotificationRule', {
      EventTypeIds: ['codepipeline-pipeline-pipeline-execution-failed'],
      Targets: [{ TargetAddress: topic, TargetType: 'SNS' }],
    });
    withEmail.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    withEmail.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
      TopicArn: topic,
    });
  });

  test('the stack outputs the pipeline name and the topic, for the approval and the console', () => {
    template.hasOutput('PipelineName', {
      Value: { Ref: stack.getLogicalId(stack.pipeline.node.defaultChild as CfnResource) },
    });
    template.hasOutput('NotificationTopicArn', {
      Value: { Ref: stack.getLogicalId(stack.notificationTopic.node.defaultChild as CfnResource) },
    });
  });

  test('a given topic receives the failures, and the stack creates none', () => {
    const { template: custom } = buildPipeline({
      notificationTopic: sns.Topic.fromTopicArn(new Stack(), 'Oncall', 'arn:aws:sns:eu-west-1:123456789012:oncall'),
    });
    custom.resourceCountIs('AWS::SNS::Topic', 0);
    custom.hasResourceProperties('AWS::CodeStarNotifications::NotificationRule', {
      Targets: [{ TargetAddress: 'arn:aws:sns:eu-west-1:123456789012:oncall', TargetType: 'SNS' }],
    });
  });
});

suite('props', () => {
  test('branch and bootstrap qualifier reach the source and the grants', () => {
    const { template: custom } = buildPipeline({ branch: 'release', bootstrapQualifier: 'abc123xyz' });
    assert.equal(stage(custom, 'Source').Actions[0]!.Configuration?.BranchName, 'release');
    assert.match(JSON.stringify(custom.toJSON()), /cdk-abc123xyz-deploy-role-/);
  });

  test('the deploys target the stacks they are given, by name, and the smoke test reads that service stack', () => {
    const { template: custom } = buildPipeline({}, 'eu-west-1', ['Qa', 'Live']);
    assert.deepEqual(
      stages(custom).map(({ Name }) => Name),
      [...ALL_STAGES.slice(0, 4), 'Deploy-Qa', 'Smoke-Qa', 'Verify-Qa', 'Approve-Live', 'Deploy-Live', 'Smoke-Live'],
    );
    const deploy = commandsOf(
      buildSpecOf(custom, projectOf(stage(custom, 'Deploy-Live').Actions.find((a) => a.Name === 'Deploy')!)),
    );
    assert.ok(
      deploy.some((command) =>
        command.startsWith(
          `npx cdk deploy ${environmentStackName('Live', 'Network')} ${environmentStackName('Live', 'Service')} --exclusively`,
        ),
      ),
      deploy.join('\n'),
    );
    assert.ok(deploy.some((command) => command.includes(JSON.stringify([environmentStackName('Live', 'Service')]))));
  });

  test('approverRoleArn: that role may approve the promotion, on that action alone', () => {
    const approver = 'arn:aws:iam::123456789012:role/release-managers';
    const { template: approved } = buildPipeline({ approverRoleArn: approver });
    approved.hasResourceProperties('AWS::IAM::Policy', {
      Roles: ['release-managers'],
      PolicyDocument: {
        // With the console's read access to the pipeline, which CDK grants beside it.
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'codepipeline:PutApprovalResult',
            Effect: 'Allow',
            Resource: Match.objectLike({
              'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('/Approve-Production/Approve$')])],
            }),
          }),
        ]),
      },
    });
    assert.doesNotMatch(JSON.stringify(template.toJSON()), /PutApprovalResult/);
    assert.throws(() => buildPipeline({ approverRoleArn: 'release-managers' }), /is not an IAM role ARN/);
  });

  test('the regions of a wave deploy in parallel, each smoke-tested; a bake separates the waves', () => {
    const { template: waved } = buildPipeline(
      {},
      'eu-west-1',
      ['Staging', 'Production'],
      [['eu-west-1', 'eu-central-1'], ['us-east-1']],
    );
    const summary = (name: string) => stage(waved, name).Actions.map((action) => `${action.Name}@${action.RunOrder}`);
    assert.deepEqual(
      stages(waved).map(({ Name }) => Name),
      [
        ...ALL_STAGES.slice(0, 8),
        'Deploy-Production-Wave1',
        'Smoke-Production-Wave1',
        'Deploy-Production-Wave2',
        'Smoke-Production-Wave2',
      ],
    );
    // The signature check and every edge stack of the wave first, then the regions' own stacks, in parallel each time.
    assert.deepEqual(summary('Deploy-Production-Wave1'), [
      'VerifySignature@1',
      'Deploy-Edge@1',
      'Deploy-EuCentral1-Edge@1',
      'Deploy@2',
      'Deploy-EuCentral1@2',
    ]);
    assert.deepEqual(summary('Smoke-Production-Wave1'), ['Smoke@1', 'Smoke-EuCentral1@1', 'Bake@2']);
    assert.deepEqual(summary('Smoke-Production-Wave2'), ['Smoke-UsEast1@1', 'TagDeployed@2']);
    // The bake waits, then smoke-tests every region of its wave again.
    const bake = stage(waved, 'Smoke-Production-Wave1').Actions[2]!;
    assert.deepEqual(actionEnvironment(bake), {
      BAKE_MINUTES: '30',
      SERVICE_URLS: '#{DeployProduction.SERVICE_URL} #{DeployProductionEuCentral1.SERVICE_URL}',
    });
    assert.deepEqual(commandsOf(buildSpecOf(waved, projectOf(bake))).slice(-2), [
      'sleep $((BAKE_MINUTES * 60))',
      'for url in $SERVICE_URLS; do npm run smoke -- "$url"; done',
    ]);
    // Each region's deploy is a project of its own, which reads its stacks in its region.
    const central = stage(waved, 'Deploy-Production-Wave1').Actions[4]!;
    const variables = (
      projectProperties(waved, projectOf(central)).Environment as {
        EnvironmentVariables: { Name: string; Value: unknown }[];
      }
    ).EnvironmentVariables;
    assert.deepEqual(variables.find(({ Name }) => Name === 'DRIFT_REGION')?.Value, 'eu-central-1');
    assert.notEqual(projectOf(central), projectOf(stage(waved, 'Deploy-Production-Wave1').Actions[3]!));
  });

  test('with no environments there is nothing to deploy: it throws', () => {
    assert.throws(() => buildPipeline({ environments: [] }), /environments is empty/);
  });

  test('invalid props throw early, with a message that names the problem', () => {
    assert.throws(
      () => buildPipeline({ connectionArn: 'my-connection' }),
      /connectionArn "my-connection" is not a CodeConnections connection ARN/,
    );
    assert.throws(() => buildPipeline({ owner: '' }), /owner and repo name the GitHub repository/);
    assert.throws(
      () =>
        buildPipeline({
          notificationEmail: 'a@example.com',
          notificationTopic: sns.Topic.fromTopicArn(new Stack(), 'T', 'arn:aws:sns:eu-west-1:123456789012:t'),
        }),
      /give it or notificationTopic, not both/,
    );
    assert.throws(() => buildPipeline({ cdkContext: { imageTag: '1.0.0' } }), /cdkContext must not set imageTag/);
    assert.throws(
      () => buildPipeline({ cdkContext: { imageDigest: `sha256:${'0'.repeat(64)}` } }),
      /cdkContext must not set imageDigest/,
    );
  });

  test('a connection ARN of the older codestar-connections form is accepted, and needs no second grant', () => {
    const arn = 'arn:aws:codestar-connections:us-east-1:123456789012:connection/abc-123';
    const { template: older } = buildPipeline({ connectionArn: arn });
    assert.doesNotMatch(JSON.stringify(older.toJSON()), /codeconnections:UseConnection/);
    assert.match(JSON.stringify(older.toJSON()), /codestar-connections:UseConnection/);
  });
});
