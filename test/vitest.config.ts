import { mergeConfig } from 'vitest/config';
import { sharedConfig } from '../vitest.shared.js';

// two files at a time: most of these tests wait on a child process (the command, npm, tsc), so a second file
// overlaps its waits (vitest's default on 2 cores is one file at a time)
export default mergeConfig(sharedConfig, { test: { include: ['*.test.ts'], maxWorkers: 2 } });
