/** A local stand-in for the Synthetics runtime's `SyntheticsLogger`: timestamped lines on stdout and stderr. */
export function info(message: string): void {
  process.stdout.write(`${new Date().toISOString()} INFO: ${message}\n`);
}
export function error(message: string): void {
  process.stderr.write(`${new Date().toISOString()} ERROR: ${message}\n`);
}
// Named and default: the bundle's CommonJS interop reads either shape.
export default { info, error };
