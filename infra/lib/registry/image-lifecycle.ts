import { Duration } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import { deployedTagPrefix } from '../pipeline/tag-deployed.ts';

export interface ImageLifecycleProps {
  /**
   * The environments, in pipeline order (staging first). Each keeps its newest `deployedImagesKept` images tagged
   * deployed-<environment>-*.
   */
  readonly environments: readonly string[];
  /** @default 10 */
  readonly deployedImagesKept?: number;
  /** Images never deployed (only build tags: <version>-<sha7>, <version>) expire this long after their push. @default 30 days */
  readonly buildImageMaxAge?: Duration;
}

/**
 * The ECR lifecycle rules. ECR evaluates them by rulePriority, lowest first, and an image that matches a rule's tag
 * selection cannot be expired by any later rule, even when that rule keeps it: so each environment's "keep the newest
 * N deployed" rule protects its images from every rule after it. Later environments come first: an image that
 * reached production also carries a staging tag, and must be judged by the production rule. ECR counts and ages by
 * push time, not by tag time. A tagPatternList with several patterns selects images that match all of them, hence
 * one pattern a rule.
 */
export function imageLifecycleRules(props: ImageLifecycleProps): ecr.LifecycleRule[] {
  const kept = props.deployedImagesKept ?? 10;
  const maxAge = props.buildImageMaxAge ?? Duration.days(30);
  if (!Number.isInteger(kept) || kept < 1)
    throw new Error(`deployedImagesKept must be a whole number from 1, got ${kept}`);
  if (props.environments.length === 0) throw new Error('imageLifecycleRules needs at least one environment');
  const deployed = [...props.environments].reverse().map((environment): ecr.LifecycleRule => ({
    description: `Keep the newest ${kept} images deployed to ${environment}`,
    tagStatus: ecr.TagStatus.TAGGED,
    tagPatternList: [`${deployedTagPrefix(environment)}*`],
    maxImageCount: kept,
  }));
  return [
    ...deployed,
    {
      description: 'Untagged images are layers of interrupted or superseded pushes',
      tagStatus: ecr.TagStatus.UNTAGGED,
      maxImageAge: Duration.days(1),
    },
    {
      description: `Images never deployed expire ${maxAge.toDays()} days after their push`,
      tagStatus: ecr.TagStatus.ANY,
      maxImageAge: maxAge,
    },
  ];
}
