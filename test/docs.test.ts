import { suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { ROOT } from '../tools/root.ts';
import { EXAMPLE_SCRIPTS } from '../scripts/rename.ts';

const DOCS = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((path) => path.endsWith('.md'))
    .map((path) => join('docs', path)),
].sort();

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const FENCE = /^(```|~~~)[^\n]*\n[\s\S]*?^\1[ \t]*$/gm;

/** GitHub's anchor for each heading: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const [, heading] of markdown.replace(FENCE, '').matchAll(/^#{1,6}[ \t]+(.+?)[ \t]*#*$/gm)) {
    const slug = heading!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    result.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return result;
}

/** Relative link targets, outside code: `[text](target)` and `![alt](target)`. */
function relativeLinks(markdown: string): string[] {
  const prose = markdown.replace(FENCE, '').replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)]
    .map(([, target]) => target!)
    .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

/** The npm commands in code spans and code blocks, where a reader copies them from. */
function npmCommands(markdown: string): string[] {
  const code = [...markdown.matchAll(FENCE), ...markdown.replace(FENCE, '').matchAll(/`([^`\n]+)`/g)].map(
    ([block]) => block,
  );
  return code.flatMap((block) => [...block.matchAll(/\bnpm (run [\w:.-]+|[a-z][\w:-]*)/g)].map(([, cmd]) => cmd!));
}

/** npm's own commands that docs name; anything else after `npm ` must be a script. */
const NPM_COMMANDS = new Set([
  'ci',
  'install',
  'uninstall',
  'audit',
  'exec',
  'init',
  'view',
  'ls',
  'outdated',
  'update',
  'sbom',
  'pack',
  'run',
]);
const { scripts } = JSON.parse(read('package.json')) as { scripts: Record<string, string> };

test('anchors follow GitHub: punctuation dropped, spaces to hyphens, repeats numbered', () => {
  assert.deepEqual(
    [...anchors('# A b\n## /clock.svg: the `clock` drawn\n```\n# not a heading\n```\n## A b\n')],
    ['a-b', 'clocksvg-the-clock-drawn', 'a-b-1'],
  );
});

test('the README is a front door: at most 150 lines', () => {
  const lines = read('README.md').split('\n').length - 1;
  assert.ok(lines <= 150, `README.md has ${lines} lines`);
});

suite('every relative link resolves, to a file and a heading', () => {
  for (const doc of DOCS) {
    test(doc, () => {
      const broken: string[] = [];
      for (const target of relativeLinks(read(doc))) {
        const [path = '', anchor] = target.split('#');
        const file = path === '' ? doc : relative(ROOT, join(ROOT, dirname(doc), decodeURI(path)));
        if (!existsSync(join(ROOT, file))) {
          broken.push(`${target}: no ${file}`);
        } else if (anchor !== undefined && statSync(join(ROOT, file)).isFile()) {
          if (!anchors(read(file)).has(anchor)) broken.push(`${target}: no heading #${anchor} in ${file}`);
        }
      }
      assert.deepEqual(broken, []);
    });
  }
});

/**
 * The example's own scripts, once --drop-example has removed it (scripts/rename.ts): the docs that describe the
 * example are then the adopter's to rewrite (docs/make-it-yours.md), and until then they still name its scripts.
 */
const DROPPED_SCRIPTS: readonly string[] = existsSync(join(ROOT, 'src/example')) ? [] : EXAMPLE_SCRIPTS;

suite('every npm command named in the docs exists', () => {
  for (const doc of DOCS) {
    test(doc, () => {
      const unknown = npmCommands(read(doc)).filter((command) => {
        const script = command.startsWith('run ') ? command.slice(4) : command;
        if (!command.startsWith('run ') && NPM_COMMANDS.has(command)) return false;
        return !(script in scripts) && !DROPPED_SCRIPTS.includes(script.split(' ')[0]!);
      });
      assert.deepEqual(unknown, []);
    });
  }
});

suite('every documented `docker buildx build --push` pushes a single image manifest', () => {
  /** Commands in code blocks, with continued lines joined. */
  const buildxPushes = (markdown: string) =>
    [...markdown.matchAll(FENCE)]
      .flatMap(([block]) => block.replace(/\\\n\s*/g, ' ').split('\n'))
      .filter((command) => /\bdocker buildx build\b/.test(command) && /(^|\s)--push(\s|$)/.test(command));

  test('the first deploy documents one', () => {
    assert.equal(buildxPushes(read('docs/deploy.md')).length, 1);
  });

  for (const doc of DOCS) {
    test(doc, () => {
      // An OCI index's platform and attestation manifests are untagged, and the lifecycle policy expires those.
      for (const command of buildxPushes(read(doc))) {
        assert.match(command, /(^|\s)--provenance=false(\s|$)/, command);
        assert.match(command, /(^|\s)--sbom=false(\s|$)/, command);
      }
    });
  }
});
