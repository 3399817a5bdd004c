import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { NetworkStack } from '../../infra/lib/network-stack.ts';
import { newApp, resourcesOfType } from './helpers.ts';

const app = newApp();
const env = { region: 'eu-west-1' };
const availabilityZones = ['eu-west-1a', 'eu-west-1b'];
const defaultStack = new NetworkStack(app, 'Default', { env, availabilityZones });
const twoNatsStack = new NetworkStack(app, 'TwoNats', {
  env,
  availabilityZones,
  natGateways: 2,
  logRemovalPolicy: RemovalPolicy.RETAIN,
});
// The app synthesises once, at the first fromStack(), so every stack is added before it.
const byDefault = Template.fromStack(defaultStack);
const twoNats = Template.fromStack(twoNatsStack);

const subnets = (t: Template, type: 'Public' | 'Private') =>
  resourcesOfType(t, 'AWS::EC2::Subnet')
    .map(([, r]) => r.Properties!)
    .filter((p) =>
      (p.Tags as { Key: string; Value: string }[]).some(
        (tag) => tag.Key === 'aws-cdk:subnet-type' && tag.Value === type,
      ),
    );

test('a VPC of our own', () => {
  byDefault.resourceCountIs('AWS::EC2::VPC', 1);
  byDefault.hasResourceProperties('AWS::EC2::VPC', {
    CidrBlock: '10.0.0.0/16',
    EnableDnsSupport: true,
    EnableDnsHostnames: true,
  });
});

test('public and private subnets in each of the two zones named, with no public IPs handed out', () => {
  for (const type of ['Public', 'Private'] as const) {
    const found = subnets(byDefault, type);
    assert.deepEqual(found.map((s) => s.AvailabilityZone).sort(), availabilityZones);
    for (const subnet of found) assert.equal(subnet.MapPublicIpOnLaunch, false);
  }
});

test('the private subnets reach the internet only through NAT', () => {
  const routes = resourcesOfType(byDefault, 'AWS::EC2::Route').map(([, r]) => r.Properties!);
  const toNat = routes.filter((r) => r.NatGatewayId !== undefined);
  const toGateway = routes.filter((r) => r.GatewayId !== undefined);
  assert.equal(toNat.length, 2);
  assert.equal(toGateway.length, 2);
  for (const route of toNat) assert.match(JSON.stringify(route.RouteTableId), /PrivateSubnet/);
  for (const route of toGateway) assert.match(JSON.stringify(route.RouteTableId), /PublicSubnet/);
});

test('one NAT gateway by default, for cost; configurable up to one per zone', () => {
  byDefault.resourceCountIs('AWS::EC2::NatGateway', 1);
  twoNats.resourceCountIs('AWS::EC2::NatGateway', 2);
});

test('flow logs of all traffic go to a CloudWatch log group with retention', () => {
  byDefault.hasResourceProperties('AWS::EC2::FlowLog', {
    ResourceType: 'VPC',
    TrafficType: 'ALL',
    LogDestinationType: 'cloud-watch-logs',
    LogGroupName: { Ref: Match.stringLikeRegexp('^FlowLogs') },
  });
  byDefault.hasResource('AWS::Logs::LogGroup', { Properties: { RetentionInDays: 30 }, DeletionPolicy: 'Delete' });
  twoNats.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Retain' });
});

test('the default security group is stripped of its rules', () => {
  byDefault.resourceCountIs('Custom::VpcRestrictDefaultSG', 1);
});
