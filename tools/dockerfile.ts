import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './root.ts';

/** A Dockerfile instruction, continuation lines joined. */
export interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

export interface Stage {
  readonly name: string | undefined;
  /** The FROM image, with global ARG defaults substituted. */
  readonly image: string;
  /** FROM's --platform, unsubstituted (`$BUILDPLATFORM`); undefined without one. */
  readonly platform: string | undefined;
  readonly instructions: readonly Instruction[];
}

export interface Dockerfile {
  readonly stages: readonly Stage[];
  stage(name: string): Stage;
}

/** Enough of the Dockerfile grammar for ours: comments, continuations, global ARGs, named stages. */
export function parseDockerfile(text: string): Dockerfile {
  const lines = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/);
  const globalArgs = new Map<string, string>();
  const substitute = (value: string) =>
    value.replace(/\$\{(\w+)\}/g, (_, variable: string) => globalArgs.get(variable) ?? '');
  const stages: {
    name: string | undefined;
    image: string;
    platform: string | undefined;
    instructions: Instruction[];
  }[] = [];
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(\S+)\s*(.*)$/.exec(line)!;
    const keyword = match[1]!.toUpperCase();
    const args = match[2]!.replace(/\s+/g, ' ');
    if (keyword === 'FROM') {
      const words = args.split(' ');
      const platform = words.find((word) => word.startsWith('--platform='))?.slice('--platform='.length);
      const [image = '', as, name] = words.filter((word) => !word.startsWith('--'));
      stages.push({
        name: as?.toUpperCase() === 'AS' ? name : undefined,
        image: substitute(image),
        platform,
        instructions: [],
      });
    } else if (stages.length === 0) {
      if (keyword !== 'ARG') throw new Error(`only ARG may precede the first FROM, found ${keyword}`);
      // A default may name an ARG declared before it.
      const at = args.indexOf('=');
      globalArgs.set(at < 0 ? args : args.slice(0, at), at < 0 ? '' : substitute(args.slice(at + 1)));
    } else {
      stages.at(-1)!.instructions.push({ keyword, args });
    }
  }
  return {
    stages,
    stage(name) {
      const found = stages.find((s) => s.name === name);
      if (!found) throw new Error(`no stage named ${name}`);
      return found;
    },
  };
}

export function readDockerfile(): Dockerfile {
  return parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
}

/** The JSON array of an exec-form CMD or ENTRYPOINT; undefined for the shell form. */
export function execForm(args: string): string[] | undefined {
  if (!args.startsWith('[')) return undefined;
  return JSON.parse(args) as string[];
}

export interface Copy {
  /** The stage copied from; undefined for the build context. */
  readonly from: string | undefined;
  readonly sources: readonly string[];
  readonly destination: string;
}

export function parseCopy(instruction: Instruction): Copy {
  const words = instruction.args.split(' ');
  const flags = words.filter((w) => w.startsWith('--'));
  const paths = words.filter((w) => !w.startsWith('--'));
  const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
  return { from, sources: paths.slice(0, -1), destination: paths.at(-1)! };
}

export const copies = (stage: Stage): Copy[] => stage.instructions.filter((i) => i.keyword === 'COPY').map(parseCopy);

export const instructions = (stage: Stage, keyword: string): string[] =>
  stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);

/**
 * A stage's ENV, one `KEY=VALUE` per instruction, with paths under its WORKDIR moved to `localRoot`: the image's
 * environment, for a copy of the app that stands in for the image here.
 */
export function stageEnv(stage: Stage, localRoot: string): Record<string, string> {
  const workdir = instructions(stage, 'WORKDIR').at(-1)!;
  return Object.fromEntries(
    instructions(stage, 'ENV').map((line) => {
      // `KEY=VALUE`, split at the first `=` only: a value may hold one (NODE_OPTIONS=--max-old-space-size=96).
      const at = line.indexOf('=');
      if (at < 0) throw new Error(`ENV ${line}: only the KEY=VALUE form is read`);
      const key = line.slice(0, at);
      const value = line.slice(at + 1);
      return [key, value.startsWith(`${workdir}/`) ? join(localRoot, value.slice(workdir.length + 1)) : value];
    }),
  );
}

/** Docker's pattern syntax (Go's filepath.Match plus `**`, without character classes): `*` also matches a leading dot. */
function patternToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === '*' && pattern[i + 1] === '*') {
      source += '.*';
      i++;
    } else if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/**
 * Whether Docker leaves a path of the build context out, by .dockerignore's rules: patterns in order, the last
 * match wins, `!` re-includes, and a pattern that matches a directory matches everything below it.
 */
export function isIgnored(dockerignore: string, path: string): boolean {
  const rules = dockerignore
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const include = line.startsWith('!');
      return { include, pattern: patternToRegExp((include ? line.slice(1) : line).replace(/^\/+|\/+$/g, '')) };
    });
  const segments = path.split('/');
  const selfAndParents = segments.map((_, i) => segments.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const { include, pattern } of rules) {
    if (selfAndParents.some((candidate) => pattern.test(candidate))) ignored = !include;
  }
  return ignored;
}
