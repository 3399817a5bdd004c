/**
 * The policy for `cdk bootstrap --cloudformation-execution-policies`: what CloudFormation may do when it deploys this
 * app's stacks, in place of AdministratorAccess. Every resource type the app's templates hold maps to the actions
 * CloudFormation's handlers for that type call (create, read, update, delete, list, and tagging), named one by one:
 * no `*` action, no service-wide wildcard. A type missing from RESOURCE_ACTIONS fails
 * test/infra/execution-policy.test.ts, which collects the types of every synthesised template.
 *
 * `npm run execution-policy` prints the document; docs/deploy.md#separate-accounts creates it as a managed policy in
 * each workload account and bootstraps with it.
 */

const EC2_TAGS = ['ec2:CreateTags', 'ec2:DeleteTags', 'ec2:DescribeTags'];
const ELB_READ = [
  'elasticloadbalancing:DescribeLoadBalancers',
  'elasticloadbalancing:DescribeLoadBalancerAttributes',
  'elasticloadbalancing:DescribeListeners',
  'elasticloadbalancing:DescribeListenerAttributes',
  'elasticloadbalancing:DescribeRules',
  'elasticloadbalancing:DescribeTargetGroups',
  'elasticloadbalancing:DescribeTargetGroupAttributes',
  'elasticloadbalancing:DescribeTags',
  'elasticloadbalancing:AddTags',
  'elasticloadbalancing:RemoveTags',
];
const LOGS_DELIVERY = [
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
];
const IAM_PASS = ['iam:PassRole', 'iam:GetRole'];

/** By CloudFormation resource type: the IAM actions its handlers call. */
export const RESOURCE_ACTIONS: Readonly<Record<string, readonly string[]>> = {
  'AWS::ApplicationAutoScaling::ScalableTarget': [
    'application-autoscaling:RegisterScalableTarget',
    'application-autoscaling:DeregisterScalableTarget',
    'application-autoscaling:DescribeScalableTargets',
    'application-autoscaling:DescribeScheduledActions',
    'application-autoscaling:PutScheduledAction',
    'application-autoscaling:DeleteScheduledAction',
    'application-autoscaling:TagResource',
    'application-autoscaling:UntagResource',
    'application-autoscaling:ListTagsForResource',
    'ecs:DescribeServices',
    'ecs:UpdateService',
    'cloudwatch:DescribeAlarms',
    'cloudwatch:PutMetricAlarm',
    'cloudwatch:DeleteAlarms',
    'iam:CreateServiceLinkedRole',
  ],
  'AWS::ApplicationAutoScaling::ScalingPolicy': [
    'application-autoscaling:PutScalingPolicy',
    'application-autoscaling:DeleteScalingPolicy',
    'application-autoscaling:DescribeScalingPolicies',
    'cloudwatch:DescribeAlarms',
    'cloudwatch:PutMetricAlarm',
    'cloudwatch:DeleteAlarms',
  ],
  'AWS::CertificateManager::Certificate': [
    'acm:RequestCertificate',
    'acm:DescribeCertificate',
    'acm:DeleteCertificate',
    'acm:AddTagsToCertificate',
    'acm:RemoveTagsFromCertificate',
    'acm:ListTagsForCertificate',
    'acm:UpdateCertificateOptions',
  ],
  'AWS::CloudFront::CachePolicy': [
    'cloudfront:CreateCachePolicy',
    'cloudfront:GetCachePolicy',
    'cloudfront:UpdateCachePolicy',
    'cloudfront:DeleteCachePolicy',
  ],
  'AWS::CloudFront::Distribution': [
    'cloudfront:CreateDistribution',
    'cloudfront:CreateDistributionWithTags',
    'cloudfront:GetDistribution',
    'cloudfront:GetDistributionConfig',
    'cloudfront:UpdateDistribution',
    'cloudfront:DeleteDistribution',
    'cloudfront:TagResource',
    'cloudfront:UntagResource',
    'cloudfront:ListTagsForResource',
    // Naming a CLOUDFRONT web ACL and an existing ACM certificate on the distribution reads them.
    'wafv2:GetWebACL',
    'acm:DescribeCertificate',
  ],
  'AWS::CloudFront::OriginRequestPolicy': [
    'cloudfront:CreateOriginRequestPolicy',
    'cloudfront:GetOriginRequestPolicy',
    'cloudfront:UpdateOriginRequestPolicy',
    'cloudfront:DeleteOriginRequestPolicy',
  ],
  'AWS::CloudFront::VpcOrigin': [
    'cloudfront:CreateVpcOrigin',
    'cloudfront:GetVpcOrigin',
    'cloudfront:UpdateVpcOrigin',
    'cloudfront:DeleteVpcOrigin',
    // The first VPC origin of an account creates CloudFront's service-linked role, which manages its ENIs.
    'iam:CreateServiceLinkedRole',
    'elasticloadbalancing:DescribeLoadBalancers',
  ],
  'AWS::CodeBuild::Project': [
    'codebuild:CreateProject',
    'codebuild:UpdateProject',
    'codebuild:DeleteProject',
    'codebuild:BatchGetProjects',
    ...IAM_PASS,
  ],
  'AWS::CodeBuild::ReportGroup': [
    'codebuild:CreateReportGroup',
    'codebuild:UpdateReportGroup',
    'codebuild:DeleteReportGroup',
    'codebuild:BatchGetReportGroups',
    'codebuild:ListReportsForReportGroup',
    'codebuild:DeleteReport',
  ],
  'AWS::CodePipeline::Pipeline': [
    'codepipeline:CreatePipeline',
    'codepipeline:UpdatePipeline',
    'codepipeline:DeletePipeline',
    'codepipeline:GetPipeline',
    'codepipeline:GetPipelineState',
    'codepipeline:TagResource',
    'codepipeline:UntagResource',
    'codepipeline:ListTagsForResource',
    'codepipeline:DisableStageTransition',
    'codepipeline:EnableStageTransition',
    'codestar-connections:PassConnection',
    'codeconnections:PassConnection',
    ...IAM_PASS,
  ],
  'AWS::CodeStarNotifications::NotificationRule': [
    'codestar-notifications:CreateNotificationRule',
    'codestar-notifications:UpdateNotificationRule',
    'codestar-notifications:DeleteNotificationRule',
    'codestar-notifications:DescribeNotificationRule',
    'codestar-notifications:Subscribe',
    'codestar-notifications:Unsubscribe',
    'codestar-notifications:TagResource',
    'codestar-notifications:UntagResource',
    'codestar-notifications:ListTagsForResource',
    'codepipeline:ListPipelines',
    'sns:GetTopicAttributes',
  ],
  'AWS::CloudWatch::Alarm': [
    'cloudwatch:PutMetricAlarm',
    'cloudwatch:DescribeAlarms',
    'cloudwatch:DeleteAlarms',
    'cloudwatch:TagResource',
    'cloudwatch:UntagResource',
    'cloudwatch:ListTagsForResource',
  ],
  'AWS::CloudWatch::Dashboard': [
    'cloudwatch:PutDashboard',
    'cloudwatch:GetDashboard',
    'cloudwatch:DeleteDashboards',
    'cloudwatch:ListDashboards',
  ],
  'AWS::EC2::EIP': ['ec2:AllocateAddress', 'ec2:ReleaseAddress', 'ec2:DescribeAddresses', ...EC2_TAGS],
  'AWS::EC2::FlowLog': [
    'ec2:CreateFlowLogs',
    'ec2:DeleteFlowLogs',
    'ec2:DescribeFlowLogs',
    ...EC2_TAGS,
    ...IAM_PASS,
    'logs:CreateLogDelivery',
    'logs:DeleteLogDelivery',
  ],
  'AWS::EC2::InternetGateway': [
    'ec2:CreateInternetGateway',
    'ec2:DeleteInternetGateway',
    'ec2:DescribeInternetGateways',
    ...EC2_TAGS,
  ],
  'AWS::EC2::NatGateway': ['ec2:CreateNatGateway', 'ec2:DeleteNatGateway', 'ec2:DescribeNatGateways', ...EC2_TAGS],
  'AWS::EC2::Route': ['ec2:CreateRoute', 'ec2:ReplaceRoute', 'ec2:DeleteRoute', 'ec2:DescribeRouteTables'],
  'AWS::EC2::RouteTable': ['ec2:CreateRouteTable', 'ec2:DeleteRouteTable', 'ec2:DescribeRouteTables', ...EC2_TAGS],
  'AWS::EC2::SecurityGroup': [
    'ec2:CreateSecurityGroup',
    'ec2:DeleteSecurityGroup',
    'ec2:DescribeSecurityGroups',
    'ec2:DescribeSecurityGroupRules',
    'ec2:AuthorizeSecurityGroupIngress',
    'ec2:AuthorizeSecurityGroupEgress',
    'ec2:RevokeSecurityGroupIngress',
    'ec2:RevokeSecurityGroupEgress',
    ...EC2_TAGS,
  ],
  'AWS::EC2::SecurityGroupEgress': [
    'ec2:AuthorizeSecurityGroupEgress',
    'ec2:RevokeSecurityGroupEgress',
    'ec2:UpdateSecurityGroupRuleDescriptionsEgress',
    'ec2:DescribeSecurityGroupRules',
    'ec2:DescribeSecurityGroups',
  ],
  'AWS::EC2::SecurityGroupIngress': [
    'ec2:AuthorizeSecurityGroupIngress',
    'ec2:RevokeSecurityGroupIngress',
    'ec2:UpdateSecurityGroupRuleDescriptionsIngress',
    'ec2:DescribeSecurityGroupRules',
    'ec2:DescribeSecurityGroups',
  ],
  'AWS::EC2::Subnet': [
    'ec2:CreateSubnet',
    'ec2:DeleteSubnet',
    'ec2:DescribeSubnets',
    'ec2:ModifySubnetAttribute',
    'ec2:DescribeNetworkAcls',
    ...EC2_TAGS,
  ],
  'AWS::EC2::SubnetRouteTableAssociation': [
    'ec2:AssociateRouteTable',
    'ec2:DisassociateRouteTable',
    'ec2:ReplaceRouteTableAssociation',
    'ec2:DescribeRouteTables',
  ],
  'AWS::EC2::VPC': [
    'ec2:CreateVpc',
    'ec2:DeleteVpc',
    'ec2:DescribeVpcs',
    'ec2:DescribeVpcAttribute',
    'ec2:ModifyVpcAttribute',
    'ec2:DescribeSecurityGroups',
    'ec2:DescribeNetworkAcls',
    'ec2:DescribeRouteTables',
    ...EC2_TAGS,
  ],
  'AWS::EC2::VPCGatewayAttachment': [
    'ec2:AttachInternetGateway',
    'ec2:DetachInternetGateway',
    'ec2:DescribeInternetGateways',
  ],
  'AWS::ECR::RegistryScanningConfiguration': [
    'ecr:PutRegistryScanningConfiguration',
    'ecr:GetRegistryScanningConfiguration',
    'ecr:DescribeRegistry',
  ],
  'AWS::ECR::ReplicationConfiguration': [
    'ecr:PutReplicationConfiguration',
    'ecr:DescribeRegistry',
    'iam:CreateServiceLinkedRole',
  ],
  'AWS::ECR::Repository': [
    'ecr:CreateRepository',
    'ecr:DeleteRepository',
    'ecr:DescribeRepositories',
    'ecr:PutImageScanningConfiguration',
    'ecr:PutImageTagMutability',
    'ecr:PutLifecyclePolicy',
    'ecr:GetLifecyclePolicy',
    'ecr:DeleteLifecyclePolicy',
    'ecr:SetRepositoryPolicy',
    'ecr:GetRepositoryPolicy',
    'ecr:DeleteRepositoryPolicy',
    'ecr:TagResource',
    'ecr:UntagResource',
    'ecr:ListTagsForResource',
    // The AWS managed key (aws/ecr) encrypts the repository: ECR creates it on first use, as its caller.
    'kms:CreateGrant',
    'kms:RetireGrant',
    'kms:DescribeKey',
  ],
  'AWS::ECR::RepositoryCreationTemplate': [
    'ecr:CreateRepositoryCreationTemplate',
    'ecr:UpdateRepositoryCreationTemplate',
    'ecr:DeleteRepositoryCreationTemplate',
    'ecr:DescribeRepositoryCreationTemplates',
    'iam:CreateServiceLinkedRole',
  ],
  'AWS::ECR::SigningConfiguration': [
    'ecr:PutSigningConfiguration',
    'ecr:GetSigningConfiguration',
    'ecr:DeleteSigningConfiguration',
    'signer:GetSigningProfile',
  ],
  'AWS::ECS::Cluster': [
    'ecs:CreateCluster',
    'ecs:DeleteCluster',
    'ecs:DescribeClusters',
    'ecs:UpdateCluster',
    'ecs:UpdateClusterSettings',
    'ecs:PutClusterCapacityProviders',
    'ecs:TagResource',
    'ecs:UntagResource',
    'ecs:ListTagsForResource',
    'iam:CreateServiceLinkedRole',
  ],
  'AWS::ECS::Service': [
    'ecs:CreateService',
    'ecs:UpdateService',
    'ecs:DeleteService',
    'ecs:DescribeServices',
    'ecs:DescribeServiceDeployments',
    'ecs:DescribeServiceRevisions',
    'ecs:ListServiceDeployments',
    'ecs:TagResource',
    'ecs:UntagResource',
    'ecs:ListTagsForResource',
    'elasticloadbalancing:DescribeTargetGroups',
    'elasticloadbalancing:DescribeListeners',
    'elasticloadbalancing:DescribeRules',
    'elasticloadbalancing:ModifyListener',
    'elasticloadbalancing:ModifyRule',
    'cloudwatch:DescribeAlarms',
    ...IAM_PASS,
  ],
  'AWS::ECS::TaskDefinition': [
    'ecs:RegisterTaskDefinition',
    'ecs:DeregisterTaskDefinition',
    'ecs:DescribeTaskDefinition',
    'ecs:TagResource',
    'ecs:UntagResource',
    'ecs:ListTagsForResource',
    ...IAM_PASS,
  ],
  'AWS::ElasticLoadBalancingV2::Listener': [
    'elasticloadbalancing:CreateListener',
    'elasticloadbalancing:ModifyListener',
    'elasticloadbalancing:ModifyListenerAttributes',
    'elasticloadbalancing:DeleteListener',
    ...ELB_READ,
  ],
  'AWS::ElasticLoadBalancingV2::ListenerRule': [
    'elasticloadbalancing:CreateRule',
    'elasticloadbalancing:ModifyRule',
    'elasticloadbalancing:SetRulePriorities',
    'elasticloadbalancing:DeleteRule',
    ...ELB_READ,
  ],
  'AWS::ElasticLoadBalancingV2::LoadBalancer': [
    'elasticloadbalancing:CreateLoadBalancer',
    'elasticloadbalancing:ModifyLoadBalancerAttributes',
    'elasticloadbalancing:SetSecurityGroups',
    'elasticloadbalancing:SetSubnets',
    'elasticloadbalancing:SetIpAddressType',
    'elasticloadbalancing:DeleteLoadBalancer',
    'ec2:DescribeSubnets',
    'ec2:DescribeSecurityGroups',
    'ec2:DescribeVpcs',
    'ec2:DescribeInternetGateways',
    'ec2:DescribeAccountAttributes',
    'iam:CreateServiceLinkedRole',
    ...ELB_READ,
  ],
  'AWS::ElasticLoadBalancingV2::TargetGroup': [
    'elasticloadbalancing:CreateTargetGroup',
    'elasticloadbalancing:ModifyTargetGroup',
    'elasticloadbalancing:ModifyTargetGroupAttributes',
    'elasticloadbalancing:DeleteTargetGroup',
    ...ELB_READ,
  ],
  'AWS::Events::Rule': [
    'events:PutRule',
    'events:DescribeRule',
    'events:DeleteRule',
    'events:PutTargets',
    'events:RemoveTargets',
    'events:ListTargetsByRule',
    'events:TagResource',
    'events:UntagResource',
    'events:ListTagsForResource',
  ],
  'AWS::FIS::ExperimentTemplate': [
    'fis:CreateExperimentTemplate',
    'fis:GetExperimentTemplate',
    'fis:UpdateExperimentTemplate',
    'fis:DeleteExperimentTemplate',
    'fis:TagResource',
    'fis:UntagResource',
    'fis:ListTagsForResource',
  ],
  'AWS::IAM::Policy': ['iam:PutRolePolicy', 'iam:GetRolePolicy', 'iam:DeleteRolePolicy', 'iam:ListRolePolicies'],
  'AWS::IAM::Role': [
    'iam:CreateRole',
    'iam:GetRole',
    'iam:DeleteRole',
    'iam:UpdateRole',
    'iam:UpdateRoleDescription',
    'iam:UpdateAssumeRolePolicy',
    'iam:AttachRolePolicy',
    'iam:DetachRolePolicy',
    'iam:ListAttachedRolePolicies',
    'iam:PutRolePolicy',
    'iam:GetRolePolicy',
    'iam:DeleteRolePolicy',
    'iam:ListRolePolicies',
    'iam:TagRole',
    'iam:UntagRole',
    'iam:ListRoleTags',
    'iam:ListInstanceProfilesForRole',
  ],
  'AWS::KMS::Key': [
    'kms:CreateKey',
    'kms:DescribeKey',
    'kms:GetKeyPolicy',
    'kms:PutKeyPolicy',
    'kms:GetKeyRotationStatus',
    'kms:EnableKeyRotation',
    'kms:DisableKeyRotation',
    'kms:EnableKey',
    'kms:DisableKey',
    'kms:UpdateKeyDescription',
    'kms:ScheduleKeyDeletion',
    'kms:ListResourceTags',
    'kms:TagResource',
    'kms:UntagResource',
  ],
  'AWS::Lambda::Function': [
    'lambda:CreateFunction',
    'lambda:GetFunction',
    'lambda:GetFunctionConfiguration',
    'lambda:UpdateFunctionCode',
    'lambda:UpdateFunctionConfiguration',
    'lambda:DeleteFunction',
    'lambda:GetRuntimeManagementConfig',
    'lambda:PutRuntimeManagementConfig',
    'lambda:TagResource',
    'lambda:UntagResource',
    'lambda:ListTags',
    // Reserved concurrency (the delivery metrics function).
    'lambda:PutFunctionConcurrency',
    'lambda:DeleteFunctionConcurrency',
    'lambda:GetFunctionConcurrency',
    // The code comes from the bootstrap bucket of the account and region.
    's3:GetObject',
    's3:GetObjectVersion',
    ...IAM_PASS,
  ],
  'AWS::Lambda::Permission': ['lambda:AddPermission', 'lambda:RemovePermission', 'lambda:GetPolicy'],
  'AWS::Logs::LogGroup': [
    'logs:CreateLogGroup',
    'logs:DeleteLogGroup',
    'logs:DescribeLogGroups',
    'logs:PutRetentionPolicy',
    'logs:DeleteRetentionPolicy',
    'logs:AssociateKmsKey',
    'logs:DisassociateKmsKey',
    'logs:TagResource',
    'logs:UntagResource',
    'logs:ListTagsForResource',
    'logs:TagLogGroup',
    'logs:UntagLogGroup',
  ],
  'AWS::Logs::QueryDefinition': [
    'logs:PutQueryDefinition',
    'logs:DescribeQueryDefinitions',
    'logs:DeleteQueryDefinition',
  ],
  'AWS::S3::Bucket': [
    's3:CreateBucket',
    's3:DeleteBucket',
    's3:ListBucket',
    's3:GetBucketLocation',
    's3:PutBucketTagging',
    's3:GetBucketTagging',
    's3:PutEncryptionConfiguration',
    's3:GetEncryptionConfiguration',
    's3:PutBucketPublicAccessBlock',
    's3:GetBucketPublicAccessBlock',
    's3:PutBucketOwnershipControls',
    's3:GetBucketOwnershipControls',
    's3:PutBucketVersioning',
    's3:GetBucketVersioning',
    's3:PutLifecycleConfiguration',
    's3:GetLifecycleConfiguration',
    's3:PutBucketLogging',
    's3:GetBucketLogging',
    's3:PutBucketNotification',
    's3:GetBucketNotification',
    's3:PutBucketObjectLockConfiguration',
    's3:GetBucketObjectLockConfiguration',
    's3:PutBucketPolicy',
    's3:GetBucketPolicy',
  ],
  'AWS::S3::BucketPolicy': ['s3:PutBucketPolicy', 's3:GetBucketPolicy', 's3:DeleteBucketPolicy'],
  // GetSecretValue: CloudFormation resolves the web ACL's dynamic reference to the secret as this role.
  'AWS::SecretsManager::Secret': [
    'secretsmanager:CreateSecret',
    'secretsmanager:DescribeSecret',
    'secretsmanager:GetRandomPassword',
    'secretsmanager:GetSecretValue',
    'secretsmanager:UpdateSecret',
    'secretsmanager:DeleteSecret',
    'secretsmanager:TagResource',
    'secretsmanager:UntagResource',
  ],
  'AWS::Signer::SigningProfile': [
    'signer:PutSigningProfile',
    'signer:GetSigningProfile',
    'signer:CancelSigningProfile',
    'signer:ListSigningProfiles',
    'signer:TagResource',
    'signer:UntagResource',
    'signer:ListTagsForResource',
  ],
  'AWS::SNS::Topic': [
    'sns:CreateTopic',
    'sns:DeleteTopic',
    'sns:GetTopicAttributes',
    'sns:SetTopicAttributes',
    'sns:Subscribe',
    'sns:Unsubscribe',
    'sns:ListSubscriptionsByTopic',
    'sns:TagResource',
    'sns:UntagResource',
    'sns:ListTagsForResource',
  ],
  'AWS::SNS::TopicPolicy': ['sns:SetTopicAttributes', 'sns:GetTopicAttributes'],
  'AWS::SSM::Parameter': [
    'ssm:PutParameter',
    'ssm:GetParameter',
    'ssm:GetParameters',
    'ssm:DeleteParameter',
    'ssm:AddTagsToResource',
    'ssm:RemoveTagsFromResource',
    'ssm:ListTagsForResource',
  ],
  'AWS::Synthetics::Canary': [
    'synthetics:CreateCanary',
    'synthetics:UpdateCanary',
    'synthetics:DeleteCanary',
    'synthetics:GetCanary',
    'synthetics:GetCanaryRuns',
    'synthetics:StartCanary',
    'synthetics:StopCanary',
    'synthetics:TagResource',
    'synthetics:UntagResource',
    'synthetics:ListTagsForResource',
    // Synthetics makes the canary's function and its layer as the caller.
    'lambda:CreateFunction',
    'lambda:UpdateFunctionCode',
    'lambda:UpdateFunctionConfiguration',
    'lambda:GetFunction',
    'lambda:DeleteFunction',
    'lambda:PublishVersion',
    'lambda:PublishLayerVersion',
    'lambda:GetLayerVersion',
    'lambda:DeleteLayerVersion',
    'lambda:AddPermission',
    'lambda:GetFunctionConfiguration',
    'lambda:TagResource',
    's3:GetObject',
    's3:GetBucketLocation',
    's3:ListAllMyBuckets',
    'ec2:DescribeVpcs',
    'ec2:DescribeSubnets',
    'ec2:DescribeSecurityGroups',
    ...IAM_PASS,
  ],
  'AWS::WAFv2::IPSet': [
    'wafv2:CreateIPSet',
    'wafv2:GetIPSet',
    'wafv2:UpdateIPSet',
    'wafv2:DeleteIPSet',
    'wafv2:ListIPSets',
    'wafv2:TagResource',
    'wafv2:UntagResource',
    'wafv2:ListTagsForResource',
  ],
  'AWS::WAFv2::LoggingConfiguration': [
    'wafv2:PutLoggingConfiguration',
    'wafv2:GetLoggingConfiguration',
    'wafv2:DeleteLoggingConfiguration',
    ...LOGS_DELIVERY,
  ],
  'AWS::WAFv2::WebACL': [
    'wafv2:CreateWebACL',
    'wafv2:GetWebACL',
    'wafv2:UpdateWebACL',
    'wafv2:DeleteWebACL',
    'wafv2:ListWebACLs',
    'wafv2:GetIPSet',
    'wafv2:TagResource',
    'wafv2:UntagResource',
    'wafv2:ListTagsForResource',
  ],
  'AWS::WAFv2::WebACLAssociation': [
    'wafv2:AssociateWebACL',
    'wafv2:DisassociateWebACL',
    'wafv2:GetWebACLForResource',
    'wafv2:GetWebACL',
    'elasticloadbalancing:SetWebAcl',
  ],
  'AWS::Route53::RecordSet': [
    'route53:ChangeResourceRecordSets',
    'route53:GetChange',
    'route53:GetHostedZone',
    'route53:ListResourceRecordSets',
  ],
  // Lambda-backed custom resources (CDK's provider for Custom::VpcRestrictDefaultSG): CloudFormation invokes them.
  'Custom::VpcRestrictDefaultSG': ['lambda:InvokeFunction'],
  // AwsCustomResource (the cache invalidation after a deploy): likewise.
  'Custom::AWS': ['lambda:InvokeFunction'],
};

/**
 * What every stack needs whatever it holds: the bootstrap version CDK's templates check (an SSM parameter), and
 * the change sets `cdk deploy` asks CloudFormation to run as this role.
 */
export const STACK_ACTIONS: readonly string[] = ['ssm:GetParameters', 'ssm:GetParameter'];

/** The types RESOURCE_ACTIONS does not cover, of those given: the test's failure message. */
export function uncoveredTypes(resourceTypes: Iterable<string>): string[] {
  return [...new Set(resourceTypes)].filter((type) => !(type in RESOURCE_ACTIONS)).sort();
}

/** IAM's limit on a managed policy document, in characters without whitespace. */
export const MANAGED_POLICY_MAX_LENGTH = 6144;

export interface PolicyDocumentJson {
  readonly Version: '2012-10-17';
  readonly Statement: readonly {
    readonly Sid: string;
    readonly Effect: 'Allow';
    readonly Action: readonly string[];
    readonly Resource: '*';
  }[];
}

/**
 * The execution policies for the given resource types: their actions sorted, unique and split over as few documents
 * as IAM's size limit allows (`--cloudformation-execution-policies` takes a list). Throws on a type the table lacks,
 * naming it, rather than let CloudFormation fail mid-deploy. The resources are `*`: the policy is CloudFormation's,
 * which creates resources whose names and ARNs are not known until it does.
 */
export function executionPolicies(resourceTypes: Iterable<string>): PolicyDocumentJson[] {
  const types = [...new Set(resourceTypes)].sort();
  const missing = uncoveredTypes(types);
  if (missing.length > 0) {
    throw new Error(
      `the execution policy covers no action for ${missing.join(', ')}: add the actions CloudFormation calls for ` +
        'each to RESOURCE_ACTIONS in infra/lib/bootstrap/execution-policy.ts',
    );
  }
  const actions = [...new Set([...STACK_ACTIONS, ...types.flatMap((type) => RESOURCE_ACTIONS[type] ?? [])])].sort();
  const documents: string[][] = [];
  let current: string[] = [];
  for (const action of actions) {
    const longer = policyDocument([...current, action], documents.length + 1);
    if (current.length > 0 && JSON.stringify(longer).length > MANAGED_POLICY_MAX_LENGTH) {
      documents.push(current);
      current = [];
    }
    current.push(action);
  }
  documents.push(current);
  return documents.map((part, index) => policyDocument(part, index + 1));
}

function policyDocument(actions: readonly string[], part: number): PolicyDocumentJson {
  return {
    Version: '2012-10-17',
    Statement: [{ Sid: `DeployTheAppsResources${part}`, Effect: 'Allow', Action: actions, Resource: '*' }],
  };
}
