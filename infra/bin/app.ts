#!/usr/bin/env node
/**
 * The CDK app: `npx cdk deploy 'ClockMirror-Staging-*' -c imageTag=1.4.0`. The only place that reads context.
 * Without -c imageTag it runs the version in package.json, the semver tag the pipeline pushes, so that
 * `npm run synth` works offline with no arguments.
 */
import { App } from 'aws-cdk-lib';
import packageJson from '../../package.json' with { type: 'json' };
import { addClockMirrorStacks, addNagChecks } from '../lib/clock-mirror.ts';

const app = new App();
const imageTag = (app.node.tryGetContext('imageTag') as string | undefined) ?? packageJson.version;

addClockMirrorStacks(app, { imageTag });
addNagChecks(app);

app.synth();
