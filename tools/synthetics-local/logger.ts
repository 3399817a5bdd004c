/** A local stand-in for the Synthetics runtime's `SyntheticsLogger`: timestamped lines on stdout and stderr. */
export default {
  info(message: string): void {
    process.stdout.write(`${new Date().toISOString()} INFO: ${message}\n`);
  },
  error(message: string): void {
    process.stderr.write(`${new Date().toISOString()} ERROR: ${message}\n`);
  },
};
