/** The pipeline's artifacts bucket, encrypted with its key, and the bucket that receives its access logs. */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { acknowledgeControl } from '../checks.ts';
import { acknowledgeLogBucket } from '../log-storage.ts';

export function artifactBucket(scope: Construct, key: kms.IKey): s3.Bucket {
  const accessLogs = new s3.Bucket(scope, 'ArtifactsAccessLogs', {
    // Server access logging delivers only to SSE-S3 buckets.
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    lifecycleRules: [{ expiration: Duration.days(365) }],
    removalPolicy: RemovalPolicy.RETAIN,
  });
  acknowledgeLogBucket(accessLogs, 'S3 server access logging');
  const artifacts = new s3.Bucket(scope, 'Artifacts', {
    encryption: s3.BucketEncryption.KMS,
    encryptionKey: key,
    bucketKeyEnabled: true,
    enforceSSL: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    serverAccessLogsBucket: accessLogs,
    // An overwritten or deleted artifact can be restored while the run that needs it may still be in flight.
    versioned: true,
    // Artifacts matter while a run is in flight; a month covers a paused approval.
    lifecycleRules: [{ expiration: Duration.days(30), noncurrentVersionExpiration: Duration.days(30) }],
    removalPolicy: RemovalPolicy.RETAIN,
  });
  acknowledgeControl(
    artifacts,
    's3_bucket_object_lock_enabled_check',
    'Artifacts are intermediate files of a run, rebuilt from the commit on every run and expired after 30 days; ' +
      'versioning restores an overwritten one. The release record is the immutable image tag in ECR.',
  );
  acknowledgeControl(
    artifacts,
    's3_event_notifications_enabled_check',
    'CodePipeline hands each artifact to the next action itself; nothing else reacts to a new object.',
  );
  return artifacts;
}
