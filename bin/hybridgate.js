#!/usr/bin/env node
// Entry point of the `hybridgate` CLI; the code lives in dist/ (built by `make build`).
import { main } from '../dist/cli/main.js';

main(process.argv).catch((err) => {
  console.error(err?.message ?? err);
  process.exit(1);
});
