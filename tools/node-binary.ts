/**
 * The Node.js binary is outside the lock file: the `node` devDependency's install script fetches
 * node-linux-<arch>@<version> from npm, so package-lock.json's integrity hashes never cover it. node-binary-sha256.json
 * records the sha256 of that binary per platform for the pinned version; this checks a binary against it
 * (docs/decisions/node-binary-integrity.md says what that proves, and what it does not).
 */
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './root.ts';

export interface NodeBinaryPins {
  readonly version: string;
  readonly platforms: Readonly<Record<string, { readonly sha256: string; readonly package: string }>>;
}

export const readPins = (file = join(ROOT, 'node-binary-sha256.json')): NodeBinaryPins =>
  JSON.parse(readFileSync(file, 'utf8')) as NodeBinaryPins;

export async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Throws, naming the file, the version and both digests, unless `binary` is the pinned build for `platform`. */
export async function verifyNodeBinary(
  binary: string,
  version: string,
  platform: string,
  pins: NodeBinaryPins = readPins(),
): Promise<void> {
  if (version !== pins.version) {
    throw new Error(
      `${binary} is Node.js ${version}, but node-binary-sha256.json pins ${pins.version}: record the new release's sha256`,
    );
  }
  const pinned = pins.platforms[platform];
  if (pinned === undefined) throw new Error(`node-binary-sha256.json has no sha256 for ${platform}`);
  const actual = await sha256Of(binary);
  if (actual !== pinned.sha256) {
    throw new Error(
      `${binary} (Node.js ${version}, ${platform}) has sha256 ${actual}, not the ${pinned.sha256} recorded for ` +
        `${pinned.package}: do not build with it`,
    );
  }
}
