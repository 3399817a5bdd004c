/**
 * The signature check before each deploy: a CodeBuild project that runs verify-signature.sh on the digest the Build
 * stage pushed, on CodeBuild's Ubuntu image, with Notation and the AWS Signer plugin from AWS's installer.
 */
import { Duration, Validations } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import type * as ecr from 'aws-cdk-lib/aws-ecr';
import type { ImageSigning } from '../../registry/image-signing.ts';
import type { BuildSpecObject } from '../buildspecs.ts';
import type { ProjectFactory } from '../projects.ts';

/**
 * AWS's installer of Notation, the AWS Signer plugin and the trust store of AWS Signer's root certificate
 * (docs.aws.amazon.com/signer/latest/developerguide/image-signing-prerequisites.html). It is the latest release, not a
 * pinned one: AWS publishes no versioned URL for it (docs/ci-cd.md#signed-images).
 */
export const SIGNER_NOTATION_INSTALLER =
  'https://d2hvyiie56hcat.cloudfront.net/linux/amd64/installer/deb/latest/aws-signer-notation-cli_amd64.deb';

export function verifySignatureSpec(): BuildSpecObject {
  return {
    version: '0.2',
    env: { shell: 'bash' },
    phases: {
      install: {
        commands: [
          `curl -fsSL --retry 3 -o /tmp/aws-signer-notation-cli.deb ${SIGNER_NOTATION_INSTALLER}`,
          'dpkg -i /tmp/aws-signer-notation-cli.deb',
        ],
      },
      build: {
        commands: [
          ': "${IMAGE_DIGEST:?IMAGE_DIGEST is not set: the action passes the digest from the Build stage}"',
          'bash infra/lib/pipeline/steps/verify-signature.sh',
        ],
      },
    },
  };
}

/** The project, allowed to pull from the repository and to ask Signer about revocations, and nothing else. */
export function verifySignatureProject(
  projects: ProjectFactory,
  repository: ecr.IRepository,
  signing: ImageSigning,
): codebuild.PipelineProject {
  const project = projects.project('VerifySignature', verifySignatureSpec(), {
    timeout: Duration.minutes(10),
    // CodeBuild's Ubuntu image: the installer is a .deb for it, and the image carries the AWS CLI.
    buildImage: codebuild.LinuxBuildImage.STANDARD_7_0,
    environmentVariables: {
      REPOSITORY_URI: { value: repository.repositoryUri },
      SIGNING_PROFILE_ARN: { value: signing.profile.signingProfileArn },
    },
  });
  repository.grantPull(project);
  signing.grantVerify(project);
  Validations.of(project).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'ecr:GetAuthorizationToken (the registry login) and signer:GetRevocationStatus (the revocation check of a ' +
      'signature) have no resource-level permissions; pulls are granted on our repository only',
  });
  return project;
}
