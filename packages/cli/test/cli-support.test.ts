/** A crash (an exception no error value caught) is one line on the terminal and a stack in a log file. */
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { reportCrash } from '../src/cli-support.js';

describe('reportCrash', () => {
  it('prints one line naming the error (first line of its message only) and writes the stack to a log file', () => {
    const written: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
      written.push(String(s));
      return true;
    });
    const before = process.exitCode;
    try {
      reportCrash(new RangeError('Error in oneHot: depth must be >=2, but it is 1\n' + 'var e=function(){'.repeat(2000)));
    } finally {
      spy.mockRestore();
    }
    expect(process.exitCode).toBe(70);
    process.exitCode = before;
    expect(written).toHaveLength(1);
    const line = written[0]!;
    expect(line).toMatch(/^equissl: \[RangeError\] Error in oneHot: depth must be >=2, but it is 1 \(stack in (.+equissl-crash-\d+\.log)\); please report it with that file\n$/);
    const log = /\(stack in (.+?)\)/.exec(line)![1]!;
    expect(readFileSync(log, 'utf8')).toContain('RangeError: Error in oneHot');
  });
});
