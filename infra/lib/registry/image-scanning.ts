import * as ecr from 'aws-cdk-lib/aws-ecr';
import { Construct } from 'constructs';

export interface ImageScanningProps {
  /** The repository whose pushed images ECR scans. */
  readonly repository: ecr.IRepository;
}

/**
 * The registry's scanning configuration: basic scanning, on push, for the repository. Basic, not enhanced
 * (Amazon Inspector, continuous): the Build stage's scan gate reads the result of the scan of each pushed digest,
 * which basic scanning gives within a minute, with no Inspector to enable in the account, no inspector2 permissions
 * for the pipeline, and no charge per image. Enhanced scanning would also rescan images already deployed as new CVEs
 * appear, and cover language packages; the gate reads its findings too, so switching is this one setting
 * (docs/ci-cd.md#scan-gate).
 *
 * The scanning configuration is the registry's (one per account and region), like the signing configuration.
 */
export class ImageScanning extends Construct {
  constructor(scope: Construct, id: string, props: ImageScanningProps) {
    super(scope, id);
    new ecr.CfnRegistryScanningConfiguration(this, 'Configuration', {
      scanType: 'BASIC',
      rules: [
        {
          scanFrequency: 'SCAN_ON_PUSH',
          repositoryFilters: [{ filter: props.repository.repositoryName, filterType: 'WILDCARD' }],
        },
      ],
    });
  }
}
