import type { BuildSpecObject } from './buildspecs.ts';

/** The prefix of the tag an image gets once an environment runs it and passed its smoke test. */
export const deployedTagPrefix = (environment: string) => `deployed-${environment}-`;

/** Runs tag-deployed.sh: the action passes IMAGE_TAG and DEPLOY_ENVIRONMENT, the project REPOSITORY_NAME. */
export function tagDeployedSpec(): BuildSpecObject {
  return {
    version: '0.2',
    env: { shell: 'bash' },
    phases: { build: { commands: ['bash infra/lib/pipeline/tag-deployed.sh'] } },
  };
}
