#!/usr/bin/env node
import { program } from './program.js';

program()
  .parseAsync(process.argv)
  .catch((e: Error) => {
    console.error(`dynopool: ${e.message}`);
    process.exit(1);
  });
