/**
 * The projects that run `cdk deploy`, one per place (account and region), each allowed the bootstrap roles of its
 * place and no other's: the self-update and the registry in the pipeline's own account and region, and one per unit
 * of each environment (docs/ci-cd.md#least-privilege-and-what-cdk-nag-accepts).
 */
import { Duration, type Stack } from 'aws-cdk-lib';
import type * as codebuild from 'aws-cdk-lib/aws-codebuild';
import { deploySpec, selfUpdateSpec, sharedStackSpec } from './buildspecs.ts';
import { bootstrapRoleArn, grantAssumeBootstrapRoles, type Place } from './bootstrap-roles.ts';
import type { ProjectFactory } from './projects.ts';
import { unitNames, type PipelineUnit } from './waves.ts';

export interface Deployer {
  readonly project: codebuild.IProject;
  readonly place: Place;
}

export class Deployers {
  /** Every deploying project and its place, in the order they were made. */
  public readonly all: Deployer[] = [];
  private readonly stack: Stack;
  private readonly projects: ProjectFactory;
  private readonly qualifier: string;
  private readonly contextArgs: string;
  /** The pipeline's own account and region: the tools account, where the registry lives too. */
  private readonly home: Place;

  constructor(stack: Stack, projects: ProjectFactory, qualifier: string, contextArgs: string) {
    this.stack = stack;
    this.projects = projects;
    this.qualifier = qualifier;
    this.contextArgs = contextArgs;
    this.home = { region: stack.region };
  }

  /** `cdk deploy` of the pipeline's own stack: no drift check, so no lookup role. */
  selfUpdate(): codebuild.IProject {
    const project = this.projects.project('SelfUpdate', selfUpdateSpec(this.stack.stackName, this.contextArgs), {
      timeout: Duration.minutes(30),
      npmCache: true,
    });
    return this.add(project, this.home, false);
  }

  /** A drift check and `cdk deploy` of a stack every environment shares, in the pipeline's account and region. */
  sharedStack(id: string, stackName: string): codebuild.IProject {
    const project = this.projects.project(id, sharedStackSpec(stackName, this.contextArgs), {
      timeout: Duration.minutes(30),
      npmCache: true,
      environmentVariables: { DRIFT_ROLE_ARN: { value: this.lookupRoleArn(this.home) } },
    });
    return this.add(project, this.home, true);
  }

  /**
   * A drift check and `cdk deploy` of one unit's edge stack, in us-east-1 in the unit's account: a project of its
   * own, so that each project still holds the roles of one place only.
   */
  edge(environmentId: string, unit: PipelineUnit): codebuild.IProject {
    const place: Place = { account: unit.account, region: unit.edge.region };
    const project = this.projects.project(
      unitNames(environmentId, unit.region).edgeProject,
      sharedStackSpec(unit.edge.stackName, this.contextArgs),
      {
        timeout: Duration.minutes(30),
        npmCache: true,
        environmentVariables: {
          DRIFT_ROLE_ARN: { value: this.lookupRoleArn(place) },
          DRIFT_REGION: { value: unit.edge.region },
        },
      },
    );
    return this.add(project, place, true);
  }

  /** The drift and rule checks, then `cdk deploy` of one unit's stacks, where the unit is. */
  unit(environmentId: string, unit: PipelineUnit): codebuild.IProject {
    const place: Place = { account: unit.account, region: unit.region };
    const project = this.projects.project(
      unitNames(environmentId, unit.region).project,
      deploySpec({
        stacks: [unit.network.stackName, unit.service.stackName],
        serviceStackName: unit.service.stackName,
        contextArgs: this.contextArgs,
      }),
      // CloudFormation waits for the canary, its bake time and the rollback alarms.
      {
        timeout: Duration.minutes(90),
        npmCache: true,
        environmentVariables: {
          DRIFT_ROLE_ARN: { value: this.lookupRoleArn(place) },
          // The drift and rule checks read the stacks where they are.
          ...(unit.region === this.stack.region ? {} : { DRIFT_REGION: { value: unit.region } }),
        },
      },
    );
    return this.add(project, place, true);
  }

  private add(project: codebuild.IProject, place: Place, lookup: boolean): codebuild.IProject {
    this.all.push({ project, place });
    grantAssumeBootstrapRoles(project, this.qualifier, place, { lookup });
    return project;
  }

  private lookupRoleArn(place: Place): string {
    return bootstrapRoleArn(this.stack, this.qualifier, 'lookup', place);
  }
}
