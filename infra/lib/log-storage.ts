import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';
import { acknowledgeControl } from './checks.ts';

/** Control Tower's CT.CLOUDWATCH.PR.2 asks for at least a year; production and the pipeline keep that. */
export const AUDIT_RETENTION = logs.RetentionDays.ONE_YEAR;

/** Why an environment that serves no real users may keep its logs less than a year. */
export const TEST_ENVIRONMENT_RETENTION =
  'the setting of an environment that serves no real users: its logs matter while a failed deploy is ' +
  'investigated, and a year of them would cost storage with no audit value. Production keeps a year.';

/** Acknowledges the retention control on a log group kept shorter than a year, saying why. */
export function acknowledgeShortRetention(
  logGroup: IConstruct,
  retention: logs.RetentionDays,
  what: string,
  why: string,
): void {
  if (retention >= AUDIT_RETENTION) return;
  acknowledgeControl(
    logGroup,
    'cloudwatch_log_group_retention_period_check',
    `${what} are kept ${retention} days, ${why}`,
  );
}

/**
 * The bucket controls that do not fit a bucket of logs that an AWS service writes (ELB access logs, S3 server
 * access logs): each object is written once, read rarely, and expired by a lifecycle rule.
 */
export function acknowledgeLogBucket(bucket: s3.IBucket, writer: string): void {
  const controls: Record<string, string> = {
    s3_bucket_default_encryption_kms_check: `${writer} delivers only to buckets encrypted with S3 managed keys (SSE-S3), not SSE-KMS.`,
    s3_bucket_logging_enabled_check:
      'This bucket holds access logs itself: logging it would need a further bucket, and that one another. ' +
      'CloudTrail records who reads these logs.',
    s3_bucket_versioning_enabled_check:
      `${writer} writes each log object once and never overwrites it; versions would only keep copies of what ` +
      'the lifecycle rule expires.',
    s3_bucket_object_lock_enabled_check:
      'These logs carry no tamper-proof retention requirement, and locked objects would outlive the lifecycle ' +
      'expiry that bounds their cost. An account that needs immutable logs delivers them to its central log archive.',
    s3_event_notifications_enabled_check:
      'Nothing reacts to a new log object: the logs are read on demand (Athena, the console) during an investigation.',
  };
  for (const [rule, reason] of Object.entries(controls)) acknowledgeControl(bucket, rule, reason);
}
