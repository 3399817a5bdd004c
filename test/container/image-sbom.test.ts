/**
 * The whole image's SBOM (tools/image-sbom.ts), built from recorded inputs as the Dockerfile's runtime stage gives
 * them, and validated against the CycloneDX 1.5 JSON schema that @cyclonedx/cyclonedx-library ships.
 */
import { suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { imageSbom, installedPackages, osRelease, type Bom } from '../../tools/image-sbom.ts';
import { ROOT } from '../../tools/root.ts';

const FIXTURES = join(ROOT, 'test/fixtures/image-sbom');
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');

/** The CycloneDX 1.5 schema, with the two it refers to under the names it refers to them by. */
function cycloneDxValidator() {
  const require = createRequire(import.meta.url);
  const schemas = join(dirname(require.resolve('@cyclonedx/cyclonedx-library/package.json')), 'res/schema');
  const load = (file: string) => JSON.parse(readFileSync(join(schemas, file), 'utf8')) as Record<string, unknown>;
  // Formats the schema uses that ajv-formats lacks (iri-reference, idn-email) are not checked; every structural rule is.
  const ajv = new Ajv({ strict: false, allErrors: true, logger: false });
  const addFormats = addFormatsModule as unknown as (ajv: Ajv) => void;
  addFormats(ajv);
  for (const file of ['spdx.SNAPSHOT.schema.json', 'jsf-0.82.SNAPSHOT.schema.json']) {
    ajv.addSchema({ ...load(file), $id: `http://cyclonedx.org/schema/${file}` });
  }
  return ajv.compile(load('bom-1.5.SNAPSHOT.schema.json'));
}

const validate = cycloneDxValidator();
const npm = JSON.parse(fixture('npm.cdx.json')) as Bom;

/** Runs the tool as the Dockerfile does, on the fixtures, with the Node.js that runs the tests. */
function run(...args: string[]) {
  return spawnSync(process.execPath, [join(ROOT, 'tools/image-sbom.ts'), ...args], { encoding: 'utf8' });
}

suite('the image SBOM: npm dependencies, Debian packages and the Node.js binary', () => {
  const result = run(
    '--npm',
    join(FIXTURES, 'npm.cdx.json'),
    '--dpkg-status',
    join(FIXTURES, 'dpkg-status'),
    '--os-release',
    join(FIXTURES, 'os-release'),
  );
  const bom = JSON.parse(result.stdout) as Bom;

  test('is valid CycloneDX 1.5', () => {
    assert.equal(result.status, 0, result.stderr);
    assert.equal(bom.specVersion, '1.5');
    assert.ok(validate(bom), JSON.stringify(validate.errors, null, 2));
  });

  test('keeps every npm production dependency', () => {
    const names = new Set(bom.components.map((component) => component.purl));
    for (const component of npm.components) assert.ok(names.has(component.purl), component.purl);
    assert.ok(names.has('pkg:npm/fastify@5.12.8'));
  });

  test('adds the installed Debian packages, by purl, and not a removed one whose config files remain', () => {
    const debs = bom.components.filter((component) => component.purl?.startsWith('pkg:deb/'));
    assert.deepEqual(
      debs.map((deb) => deb.purl),
      [
        'pkg:deb/debian/base-files@13.8%2Bdeb13u1?arch=amd64&distro=debian-13',
        'pkg:deb/debian/libc6@2.41-12?arch=amd64&distro=debian-13',
        'pkg:deb/debian/login@1%3A4.16.0-2%2Breally2.41-5?arch=amd64&distro=debian-13',
        'pkg:deb/debian/tzdata@2025b-4%2Bdeb13u1?arch=all&distro=debian-13',
      ],
    );
    assert.ok(bom.components.some((component) => component.type === 'operating-system' && component.version === '13'));
  });

  test('adds the Node.js binary that ran it, with its version and sha256', () => {
    const node = bom.components.find((component) => component.name === 'node')!;
    assert.equal(node.version, process.versions.node);
    assert.equal(node.cpe, `cpe:2.3:a:nodejs:node.js:${process.versions.node}:*:*:*:*:*:*:*`);
    const sha256 = createHash('sha256').update(readFileSync(process.execPath)).digest('hex');
    assert.deepEqual(node.hashes, [{ alg: 'SHA-256', content: sha256 }]);
  });

  test('the application depends on the Node.js binary and the operating system, which holds the packages', () => {
    const app = bom.dependencies!.find((entry) => entry.ref === npm.metadata.component!['bom-ref'])!;
    assert.ok(app.dependsOn!.includes(`pkg:generic/node@${process.versions.node}`));
    assert.ok(app.dependsOn!.includes('os:debian-13'));
    assert.equal(bom.dependencies!.find((entry) => entry.ref === 'os:debian-13')!.dependsOn!.length, 4);
  });

  test('the schema check does catch a broken document, so a pass means something', () => {
    assert.equal(validate({ ...bom, components: [{ name: 'no type' }] }), false);
    assert.equal(validate({ ...bom, specVersion: 1.5 }), false);
  });

  test('without --npm it stops with a message', () => {
    const missing = run();
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /--npm <the npm sbom JSON> is required/);
  });

  test('dpkg status and os-release are read as Debian writes them', () => {
    assert.equal(installedPackages(fixture('dpkg-status')).length, 4);
    assert.deepEqual(osRelease(fixture('os-release')), { id: 'debian', versionId: '13' });
    assert.deepEqual(
      imageSbom({
        npm,
        packages: [],
        os: { id: 'debian', versionId: '13' },
        node: { version: '1.0.0', sha256: 'a'.repeat(64), path: '/n' },
      }).components.length,
      npm.components.length + 2,
    );
  });
});
