#!/usr/bin/env node
// Entry point of the `hybridgate` CLI; the code lives in dist/ (built by `make build`). main() prints
// its own errors and throws an error with `exitCode` to end with a status; anything else is a bug.
import { main } from '../dist/cli/main.js';

// After a clean finish the process exits once its handles close; this bounds the wait should a
// stray handle (a keep-alive socket, a timer) outlive a graceful stop. unref: it never delays exit.
const EXIT_GRACE_MS = 2000;

main(process.argv).then(
  () => {
    setTimeout(() => process.exit(), EXIT_GRACE_MS).unref();
  },
  (err) => {
    if (typeof err?.exitCode === 'number') process.exit(err.exitCode);
    console.error(err?.stack ?? err);
    process.exit(1);
  },
);
