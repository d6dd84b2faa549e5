/** Small pieces of the command line: a crash is one line on the terminal and a stack in a log file; option parsers refuse bad values with the form expected. */
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { reportCrash } from '../src/cli-support.js';
import { standardRegistry } from '@equissl/standard';
import * as E from 'fp-ts/lib/Either.js';
import { chosenSuites, probeImages, suiteList } from '../src/commands/eval.js';

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

describe('--probe-images', () => {
  it('reads <train>,<test> as two positive integers', () => {
    expect(probeImages('10000,2048')).toEqual({ train: 10000, test: 2048 });
    expect(probeImages(' 60000 , 10000 ')).toEqual({ train: 60000, test: 10000 });
  });

  it('refuses anything else with a message showing the form', () => {
    for (const bad of ['10000', '10000,0', '1.5,2', 'a,b', '1,2,3']) expect(() => probeImages(bad)).toThrow(/expected two positive integers <train>,<test>, e\.g\. 10000,2048; got/);
  });
});

describe('--suite', () => {
  it('takes all, one suite, or several comma-separated (repeats dropped)', () => {
    expect(suiteList('all')).toBe('all');
    expect(suiteList('homography')).toEqual(['homography']);
    expect(suiteList('linear, knn,linear')).toEqual(['linear', 'knn']);
  });

  it('all is every suite plugin that runs by default; an unknown name is refused naming the suites to choose from', () => {
    const registry = standardRegistry();
    if (E.isLeft(registry)) throw new Error(registry.left.message);
    expect(chosenSuites(registry.right, 'all')).toEqual(E.right(['equivariance', 'linear', 'knn']));
    expect(chosenSuites(registry.right, ['homography', 'knn'])).toEqual(E.right(['homography', 'knn']));
    const bad = chosenSuites(registry.right, suiteList('linear,knnn') as string[]);
    expect(E.isLeft(bad) && bad.left.message).toBe("suite: unknown suite 'knnn'; choose from equivariance, linear, knn, homography (comma-separated) or all; a suite of your own needs its module: --plugins FILE");
    expect(() => suiteList(' , ')).toThrow("no suite named in ' , '; name suites comma-separated, or all");
  });
});
