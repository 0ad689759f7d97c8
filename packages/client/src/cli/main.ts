// The `pixmill` command (bin/pixmill.cjs runs this).
import { runCli } from './cli';

void runCli(process.argv.slice(2), {
  out: process.stdout,
  err: process.stderr,
  env: process.env,
  ...(process.stdin.isTTY ? {} : { stdin: process.stdin }),
}).then((code) => {
  process.exitCode = code;
});
