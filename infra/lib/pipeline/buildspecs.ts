/**
 * The pipeline's CodeBuild buildspecs, as plain objects (for `BuildSpec.fromObject`),
 * so that tests can read them and run their shell commands. Every command runs in bash
 * on the checked-out commit; `npm ci` brings Node 24 for every npm script.
 */

export type BuildSpecObject = Record<string, unknown>;

/** Quotes a value for bash, so that context values reach `cdk` unchanged. */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

/** `-c key=value` for every entry, quoted for bash, in a stable order. */
export function cdkContextArgs(context: Readonly<Record<string, string>>): string {
  return Object.entries(context)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => `-c ${shellQuote(`${key}=${value}`)}`)
    .join(' ');
}

/** A command line from its parts, leaving out empty ones (no context, no arguments). */
const line = (...parts: readonly string[]) => parts.filter((part) => part !== '').join(' ');

/**
 * The Node.js major version a project on CodeBuild's own image (aws/codebuild/standard:7.0) selects for its scripts:
 * the one package.json's engines asks for. That image carries 18, 20, 22 and 24 (ubuntu/standard/7.0/runtimes.yml
 * in aws/aws-codebuild-docker-images) and, without `runtime-versions`, runs its default, Node.js 18, which CodeBuild
 * may change when a version reaches its end of life.
 */
export const CODEBUILD_NODE_RUNTIME = '24';

/**
 * The spec with the install phase selecting CODEBUILD_NODE_RUNTIME. Only for CodeBuild's managed images: a custom
 * image (the Node image) brings its own Node.js, and CodeBuild supports no runtime selection there.
 */
export function withNodeRuntime(buildSpec: BuildSpecObject): BuildSpecObject {
  const phases = buildSpec.phases as Record<string, Record<string, unknown> | undefined>;
  return {
    ...buildSpec,
    phases: { ...phases, install: { ...phases.install, 'runtime-versions': { nodejs: CODEBUILD_NODE_RUNTIME } } },
  };
}

const NPM_CI = 'npm ci --no-audit --no-fund';
/** Debian's Chromium for the browser suites and HAProxy for the load-balancer drill. */
const INSTALL_TEST_PACKAGES =
  'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium haproxy >/dev/null';

/** Debian's AWS CLI, which the Node image lacks: the drift check reads each stack's status with it. */
const INSTALL_AWS_CLI =
  'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends awscli >/dev/null';

interface SpecParts {
  readonly phases: Readonly<Record<string, readonly string[]>>;
  /** Variables CodePipeline reads once the build ends: `#{<namespace>.<name>}`. */
  readonly exportedVariables?: readonly string[];
  /** Keep npm's download cache between builds on the same host (CodeBuild local cache). */
  readonly npmCache?: boolean;
  readonly reports?: BuildSpecObject;
  readonly artifacts?: BuildSpecObject;
}

function spec({ phases, exportedVariables, npmCache, ...rest }: SpecParts): BuildSpecObject {
  return {
    version: '0.2',
    env: { shell: 'bash', ...(exportedVariables && { 'exported-variables': [...exportedVariables] }) },
    phases: Object.fromEntries(Object.entries(phases).map(([phase, commands]) => [phase, { commands }])),
    ...(npmCache === true && { cache: { paths: ['/root/.npm/**/*'] } }),
    ...rest,
  };
}

/** Runs `cdk deploy` of the pipeline's own stack, so a change to the pipeline takes effect before it is used. */
export function selfUpdateSpec(pipelineStackName: string, contextArgs: string): BuildSpecObject {
  return spec({
    phases: {
      install: [NPM_CI],
      build: [
        line(
          'npx cdk deploy',
          shellQuote(pipelineStackName),
          '--exclusively',
          contextArgs,
          '--require-approval never --progress events',
        ),
      ],
    },
    npmCache: true,
  });
}

/**
 * Secrets detection, lint (with its security rules), typecheck, `cdk synth` (cdk-nag runs inside it) and the audit
 * policy over production dependencies.
 */
export function staticAnalysisSpec(contextArgs: string): BuildSpecObject {
  return spec({
    phases: {
      install: [NPM_CI],
      build: [
        'npm run scan',
        'npm run lint',
        'npm run typecheck',
        line('npx cdk synth --quiet', contextArgs),
        // The audit policy (docs/ci-cd.md#npm-audit); the pipeline must get an answer from the audit endpoint.
        'node scripts/audit.ts --require-endpoint',
      ],
    },
    npmCache: true,
  });
}

export interface ReportGroupArns {
  /** Receives reports/junit.xml, which `npm run test:ci` writes. */
  readonly junit: string;
  /** Receives reports/lcov.info, which `npm run test:ci` writes. */
  readonly coverage: string;
}

/**
 * The tests, with the browser suites and the load-balancer drill required, publishing JUnit and coverage. The
 * container suite skips here (no Docker daemon in an unprivileged build); the Build stage builds the image.
 */
export function unitTestSpec(reportGroups: ReportGroupArns): BuildSpecObject {
  return spec({
    phases: {
      install: [INSTALL_TEST_PACKAGES, NPM_CI],
      build: ['REQUIRE_BROWSER=1 REQUIRE_HAPROXY=1 npm run test:ci'],
    },
    // CodeBuild reads the reports after the build phase, whether it passed or failed.
    reports: {
      [reportGroups.junit]: { files: ['junit.xml'], 'base-directory': 'reports', 'file-format': 'JUNITXML' },
      [reportGroups.coverage]: { files: ['lcov.info'], 'base-directory': 'reports', 'file-format': 'LCOVINFO' },
    },
    npmCache: true,
  });
}

/** Variables the Build action exports, for the deploy actions (`#{Build.IMAGE_TAG}`). */
export const IMAGE_VARIABLES = ['IMAGE_TAG', 'IMAGE_DIGEST', 'VERSION'] as const;

/**
 * Builds and pushes the image (see build-image.sh), exports its tag and digest, keeps its SBOM beside them, then
 * waits for ECR's scan of that digest and stops on a CRITICAL or HIGH finding (steps/image-scan-gate.ts).
 */
export function buildImageSpec(): BuildSpecObject {
  return spec({
    phases: {
      build: [
        'bash infra/lib/pipeline/build-image.sh',
        `IMAGE_TAG=$(node -p "require('./image.json').imageTag")`,
        `IMAGE_DIGEST=$(node -p "require('./image.json').imageDigest")`,
        `VERSION=$(node -p "require('./image.json').versionTag")`,
        'node infra/lib/pipeline/steps/image-scan-gate.ts --repository "${REPOSITORY_URI#*/}" --digest "$IMAGE_DIGEST"',
      ],
    },
    exportedVariables: IMAGE_VARIABLES,
    artifacts: { files: ['image.json', 'sbom.cdx.json'] },
  });
}

export interface DeploySpecOptions {
  /**
   * The environment's stacks, by name, as the app names them (infra/lib/names.ts). Deployed `--exclusively`: without
   * it, `cdk deploy` adds every stack they depend on, the shared Registry among them.
   */
  readonly stacks: readonly string[];
  /** The stack whose `ServiceUrl` output is exported as SERVICE_URL. */
  readonly serviceStackName: string;
  readonly contextArgs: string;
}

/** Where `cdk deploy --outputs-file` writes the deployed stacks' outputs. */
export const OUTPUTS_FILE = 'cdk-outputs.json';

/** Reads the service URL from `cdk deploy --outputs-file`, failing with a message when it is missing. */
export function serviceUrlCommand(serviceStackName: string): string {
  const script =
    `const outputs = require('./${OUTPUTS_FILE}')[${JSON.stringify(serviceStackName)}] ?? {}; ` +
    `if (!outputs.ServiceUrl) { console.error(${JSON.stringify(`${serviceStackName} has no ServiceUrl output in ${OUTPUTS_FILE}`)}); process.exit(1); } ` +
    `console.log(outputs.ServiceUrl);`;
  return `SERVICE_URL=$(node -e ${shellQuote(script)})`;
}

/** The image Build pushed, by digest, the tag as its label: every cdk command of a deploy synthesises with it. */
const IMAGE_CONTEXT = '-c "imageTag=$IMAGE_TAG" -c "imageDigest=$IMAGE_DIGEST"';

/**
 * The service stack's outputs that the promotion checks need (service/promotion-checks.ts), by the variable the
 * deploy action exports each as. A stack without promotion checks exports them empty.
 */
export const PROMOTION_OUTPUTS = {
  PROMOTION_ROLE_ARN: 'PromotionCheckRoleArn',
  EXPERIMENT_TEMPLATE_ID: 'ResilienceExperimentTemplateId',
  LOAD_TEST_TOKEN_ARN: 'LoadTestTokenArn',
  CLUSTER_NAME: 'ClusterName',
  SERVICE_NAME: 'ServiceName',
} as const;

/** Sets each PROMOTION_OUTPUTS variable from `cdk deploy --outputs-file`; empty when the stack has no such output. */
export function promotionOutputsCommand(serviceStackName: string): string {
  const script =
    `const outputs = require('./${OUTPUTS_FILE}')[${JSON.stringify(serviceStackName)}] ?? {}; ` +
    `for (const [name, output] of Object.entries(${JSON.stringify(PROMOTION_OUTPUTS)})) ` +
    "console.log(name + '=' + JSON.stringify(outputs[output] ?? ''));";
  return `eval "$(node -e ${shellQuote(script)})"`;
}

/**
 * A drift check of the environment's stacks (drift-check.sh), a stop on a change to the production listener rule
 * (rule-change-check.sh), then
 * `cdk deploy` of one environment with exactly the image digest the Build stage pushed.
 * CloudFormation waits for the ECS deployment (canary, bake time, alarm rollback) to
 * finish, so this action ends when the new tasks take all the traffic, or fails when
 * ECS rolled back.
 */
export function deploySpec(options: DeploySpecOptions): BuildSpecObject {
  return spec({
    phases: {
      install: [INSTALL_AWS_CLI, NPM_CI],
      build: [
        // No apostrophe in these messages: bash reads one inside "${...}" as an opening quote.
        ': "${IMAGE_TAG:?IMAGE_TAG is not set: the deploy action passes the tag from the Build stage}"',
        ': "${IMAGE_DIGEST:?IMAGE_DIGEST is not set: the deploy action passes the digest from the Build stage}"',
        line(
          'bash infra/lib/pipeline/drift-check.sh',
          ...options.stacks.map(shellQuote),
          '--',
          options.contextArgs,
          IMAGE_CONTEXT,
        ),
        line(
          'bash infra/lib/pipeline/rule-change-check.sh',
          shellQuote(options.serviceStackName),
          '--',
          options.contextArgs,
          IMAGE_CONTEXT,
        ),
        line(
          'npx cdk deploy',
          ...options.stacks.map(shellQuote),
          '--exclusively',
          options.contextArgs,
          IMAGE_CONTEXT,
          '--require-approval never --progress events',
          `--outputs-file ${OUTPUTS_FILE}`,
        ),
        serviceUrlCommand(options.serviceStackName),
        promotionOutputsCommand(options.serviceStackName),
        'echo "deployed image $IMAGE_DIGEST (tag $IMAGE_TAG); the service answers at $SERVICE_URL"',
      ],
    },
    exportedVariables: ['SERVICE_URL', ...Object.keys(PROMOTION_OUTPUTS)],
    npmCache: true,
  });
}

/**
 * A drift check, then `cdk deploy` of one stack that every environment shares (the Registry): one step of the
 * pipeline deploys it, before any environment, so that no environment's deploy changes it under the others.
 */
export function sharedStackSpec(stackName: string, contextArgs: string): BuildSpecObject {
  return spec({
    phases: {
      install: [INSTALL_AWS_CLI, NPM_CI],
      build: [
        line('bash infra/lib/pipeline/drift-check.sh', shellQuote(stackName), '--', contextArgs),
        line(
          'npx cdk deploy',
          shellQuote(stackName),
          '--exclusively',
          contextArgs,
          '--require-approval never --progress events',
        ),
      ],
    },
    npmCache: true,
  });
}

/** The repository's smoke test against SERVICE_URL, which the action passes from the deploy action. */
export function smokeSpec(): BuildSpecObject {
  return spec({
    phases: {
      build: [
        ': "${SERVICE_URL:?SERVICE_URL is not set: the smoke action passes the URL from the deploy action}"',
        'npm run smoke -- "$SERVICE_URL"',
      ],
    },
  });
}

/**
 * The bake between two waves of one environment: the wave's services run the new image, unwatched by any deploy,
 * for BAKE_MINUTES; then every one of them must still pass the smoke test before the next wave starts. (Each ECS
 * deployment's own bake, with its alarm rollback, has already passed inside CloudFormation.)
 */
export function bakeSpec(): BuildSpecObject {
  return spec({
    phases: {
      build: [
        ': "${BAKE_MINUTES:?BAKE_MINUTES is not set: the bake action passes it}"',
        ': "${SERVICE_URLS:?SERVICE_URLS is not set: the bake action passes the URLs of the wave}"',
        'sleep $((BAKE_MINUTES * 60))',
        'for url in $SERVICE_URLS; do npm run smoke -- "$url"; done',
      ],
    },
  });
}

/**
 * The acceptance test (scripts/acceptance.ts) against SERVICE_URL: the contract and browser suites, with Debian's
 * Chromium, JUnit into the report group.
 */
export function acceptanceSpec(reportGroupArn: string): BuildSpecObject {
  return spec({
    phases: {
      install: [
        'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null',
        NPM_CI,
      ],
      build: [
        ': "${SERVICE_URL:?SERVICE_URL is not set: the acceptance action passes the URL from the deploy action}"',
        'REQUIRE_BROWSER=1 npm run acceptance -- "$SERVICE_URL" --junit reports/acceptance.xml',
      ],
    },
    reports: {
      [reportGroupArn]: { files: ['acceptance.xml'], 'base-directory': 'reports', 'file-format': 'JUNITXML' },
    },
    npmCache: true,
  });
}

export interface LoadTestSpecOptions {
  readonly reportGroupArn: string;
  /** The environment whose thresholds apply: its lower-case name. */
  readonly environmentName: string;
  readonly durationSeconds: number;
  readonly ratePerSecond: number;
  readonly connections: number;
}

/**
 * The load test (scripts/loadtest.ts) against SERVICE_URL, with the environment's bounds and thresholds, and the
 * token that exempts it from the web ACL's per-IP rate rule, read through the environment's promotion-check role.
 */
export function loadTestSpec(options: LoadTestSpecOptions): BuildSpecObject {
  return spec({
    phases: {
      install: [NPM_CI],
      build: [
        ': "${SERVICE_URL:?SERVICE_URL is not set: the load test action passes the URL from the deploy action}"',
        ': "${LOAD_TEST_TOKEN_ARN:?LOAD_TEST_TOKEN_ARN is not set: the environment has no promotion checks}"',
        // With LOAD_TEST_TOKEN_ARN set, it exports LOAD_TEST_TOKEN too.
        'source infra/lib/pipeline/promotion-role.sh',
        line(
          'npm run loadtest -- "$SERVICE_URL"',
          `--duration ${options.durationSeconds} --rate ${options.ratePerSecond} --connections ${options.connections}`,
          `--environment ${shellQuote(options.environmentName)} --junit reports/loadtest.xml`,
        ),
      ],
    },
    reports: {
      [options.reportGroupArn]: { files: ['loadtest.xml'], 'base-directory': 'reports', 'file-format': 'JUNITXML' },
    },
    npmCache: true,
  });
}

/**
 * The resilience experiment (resilience-experiment.ts) during the load test: the action runs beside LoadTest, starts
 * the environment's FIS experiment, and waits for the service to recover, through the promotion-check role.
 */
export function resilienceSpec(reportGroupArn: string): BuildSpecObject {
  return spec({
    phases: {
      build: [
        ': "${EXPERIMENT_TEMPLATE_ID:?EXPERIMENT_TEMPLATE_ID is not set: the environment has no promotion checks}"',
        'source infra/lib/pipeline/promotion-role.sh',
        'JUNIT=reports/resilience.xml node infra/lib/pipeline/resilience-experiment.ts',
      ],
    },
    reports: {
      [reportGroupArn]: { files: ['resilience.xml'], 'base-directory': 'reports', 'file-format': 'JUNITXML' },
    },
  });
}
