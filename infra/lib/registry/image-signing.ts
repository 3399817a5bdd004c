import { Duration } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as signer from 'aws-cdk-lib/aws-signer';
import { Construct } from 'constructs';

export interface ImageSigningProps {
  /** The repository whose pushed images ECR signs. */
  readonly repository: ecr.IRepository;
  /**
   * How long a signature stays valid: an image must still verify when a rollback deploys it again, long after its
   * push. @default Duration.days(730)
   */
  readonly signatureValidity?: Duration;
}

/**
 * ECR managed signing: an AWS Signer signing profile for Notation, and the registry's signing configuration, which
 * has ECR sign every image pushed to the repository with it, as the pusher. The pipeline verifies the signature of
 * the digest it deploys against this profile (pipeline/steps/verify-signature.sh).
 *
 * The signing configuration is the registry's (one per account and region): a second app signing in the same
 * registry must merge its rules into this one.
 */
export class ImageSigning extends Construct {
  public readonly profile: signer.SigningProfile;

  constructor(scope: Construct, id: string, props: ImageSigningProps) {
    super(scope, id);
    this.profile = new signer.SigningProfile(this, 'Profile', {
      platform: signer.Platform.NOTATION_OCI_SHA384_ECDSA,
      signatureValidity: props.signatureValidity ?? Duration.days(730),
    });
    new ecr.CfnSigningConfiguration(this, 'Configuration', {
      rules: [
        {
          signingProfileArn: this.profile.signingProfileArn,
          repositoryFilters: [{ filter: props.repository.repositoryName, filterType: 'WILDCARD_MATCH' }],
        },
      ],
    });
  }

  /** ECR signs on push as the pusher, which must be allowed to sign with the profile. */
  grantSign(pusher: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee: pusher,
      actions: ['signer:SignPayload'],
      resourceArns: [this.profile.signingProfileArn],
    });
  }

  /** Notation's AWS Signer plugin asks Signer whether the signature, its profile or its certificate was revoked. */
  grantVerify(verifier: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee: verifier,
      actions: ['signer:GetRevocationStatus'],
      resourceArns: ['*'],
    });
  }
}
