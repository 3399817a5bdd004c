/**
 * The SBOM of the whole image, CycloneDX 1.5 JSON on stdout: npm's SBOM of the production dependencies (`npm sbom`,
 * in the build stage), plus what the runtime stage itself holds: its Debian release and installed packages (dpkg's
 * status file) and the Node.js binary, with its sha256. The Dockerfile's runtime stage runs it with its own Node.js,
 * so it reads the files of the image it describes, on the official base or on the local stand-in alike. No imports
 * but Node's: nothing is installed in that stage.
 *
 * Usage: node image-sbom.ts --npm <npm sbom JSON> [--dpkg-status /var/lib/dpkg/status] [--os-release /etc/os-release]
 * The Node.js binary it records is the one running it: in the image, the image's own.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

export interface Component {
  readonly 'bom-ref': string;
  readonly type: string;
  readonly name: string;
  readonly version: string;
  readonly purl?: string;
  readonly cpe?: string;
  readonly hashes?: readonly { readonly alg: string; readonly content: string }[];
  readonly properties?: readonly { readonly name: string; readonly value: string }[];
}

export interface Bom {
  readonly bomFormat: 'CycloneDX';
  readonly specVersion: string;
  readonly metadata: { readonly component?: { readonly 'bom-ref': string } } & Record<string, unknown>;
  readonly components: readonly Component[];
  readonly dependencies?: readonly { readonly ref: string; readonly dependsOn?: readonly string[] }[];
}

export interface DebianPackage {
  readonly name: string;
  readonly version: string;
  readonly architecture: string;
}

/** The packages dpkg's status file says are installed; removed ones whose config files linger are not. */
export function installedPackages(status: string): DebianPackage[] {
  return status
    .split(/\n\s*\n/)
    .map((stanza) => {
      // Continuation lines start with a space; only the first line of each field is needed here.
      const fields = new Map(
        stanza
          .split('\n')
          .filter((line) => /^[A-Za-z-]+:/.test(line))
          .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()]),
      );
      return fields;
    })
    .filter((fields) => fields.get('Status') === 'install ok installed')
    .map((fields) => ({
      name: fields.get('Package') ?? '',
      version: fields.get('Version') ?? '',
      architecture: fields.get('Architecture') ?? '',
    }))
    .filter((pkg) => pkg.name !== '' && pkg.version !== '');
}

/** ID and VERSION_ID of /etc/os-release (e.g. debian, 13). */
export function osRelease(text: string): { id: string; versionId: string } {
  const value = (key: string) => new RegExp(`^${key}="?([^"\\n]*)"?$`, 'm').exec(text)?.[1] ?? '';
  return { id: value('ID'), versionId: value('VERSION_ID') };
}

export interface ImageParts {
  /** `npm sbom --sbom-format cyclonedx` of the production dependencies: the document this extends. */
  readonly npm: Bom;
  readonly packages: readonly DebianPackage[];
  readonly os: { readonly id: string; readonly versionId: string };
  readonly node: { readonly version: string; readonly sha256: string; readonly path: string };
}

/** npm's SBOM with the image's operating system, its packages and the Node.js binary added, as CycloneDX 1.5. */
export function imageSbom(parts: ImageParts): Bom {
  const distro = `${parts.os.id}-${parts.os.versionId}`;
  const osRef = `os:${distro}`;
  const system: Component = {
    'bom-ref': osRef,
    type: 'operating-system',
    name: parts.os.id,
    version: parts.os.versionId,
  };
  const debs = parts.packages.map((pkg): Component => {
    const purl =
      `pkg:deb/${parts.os.id}/${encodeURIComponent(pkg.name)}@${encodeURIComponent(pkg.version)}` +
      `?arch=${pkg.architecture}&distro=${distro}`;
    return { 'bom-ref': purl, type: 'library', name: pkg.name, version: pkg.version, purl };
  });
  const nodeRef = `pkg:generic/node@${parts.node.version}`;
  const node: Component = {
    'bom-ref': nodeRef,
    type: 'application',
    name: 'node',
    version: parts.node.version,
    purl: nodeRef,
    // How vulnerability databases (NVD) name Node.js releases.
    cpe: `cpe:2.3:a:nodejs:node.js:${parts.node.version}:*:*:*:*:*:*:*`,
    hashes: [{ alg: 'SHA-256', content: parts.node.sha256 }],
    properties: [{ name: 'path', value: parts.node.path }],
  };
  const app = parts.npm.metadata.component?.['bom-ref'];
  const dependencies = [
    ...(parts.npm.dependencies ?? []).map((entry) =>
      entry.ref === app ? { ...entry, dependsOn: [...(entry.dependsOn ?? []), nodeRef, osRef] } : entry,
    ),
    { ref: osRef, dependsOn: debs.map((deb) => deb['bom-ref']) },
  ];
  return {
    ...parts.npm,
    specVersion: '1.5',
    components: [...parts.npm.components, node, system, ...debs],
    dependencies,
  };
}

function main(): void {
  const { values } = parseArgs({
    options: {
      npm: { type: 'string' },
      'dpkg-status': { type: 'string', default: '/var/lib/dpkg/status' },
      'os-release': { type: 'string', default: '/etc/os-release' },
    },
  });
  if (values.npm === undefined) {
    console.error('image-sbom: --npm <the npm sbom JSON> is required');
    process.exit(1);
  }
  const bom = imageSbom({
    npm: JSON.parse(readFileSync(values.npm, 'utf8')) as Bom,
    packages: installedPackages(readFileSync(values['dpkg-status'], 'utf8')),
    os: osRelease(readFileSync(values['os-release'], 'utf8')),
    node: {
      version: process.versions.node,
      sha256: createHash('sha256').update(readFileSync(process.execPath)).digest('hex'),
      path: process.execPath,
    },
  });
  process.stdout.write(`${JSON.stringify(bom, null, 2)}\n`);
}

if (process.argv[1] === import.meta.filename) main();
