import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

/** A test, or the file: anything that runs a function once it ends. */
interface Scope {
  after(fn: () => unknown): void;
}

/**
 * A new folder under the system's temporary one, removed when `t` ends (a test, or by default the file); KEEP_TEMP=1
 * keeps it and logs where it is, to look into.
 */
export function temporaryFolder(prefix: string, t: Scope = { after }): string {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  t.after(() => {
    if (process.env.KEEP_TEMP === '1') console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}
