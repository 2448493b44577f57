import fc from 'fast-check';
import { FC_SEED, RUNS } from './config.js';

fc.configureGlobal({ seed: FC_SEED, numRuns: RUNS.medium });
