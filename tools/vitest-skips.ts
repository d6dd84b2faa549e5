/**
 * A vitest reporter that lists every skipped test at the end of a run, with
 * the reason its name carries (tools/test-data.ts): a machine without some
 * optional data or tool sees what it did not test and how to test it.
 */
import type { Reporter, TestModule } from 'vitest/node';

export class SkipsReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const skipped = modules.flatMap((m) => [...m.children.allTests('skipped')].map((t) => `  ${m.moduleId.split('/').slice(-2).join('/')} > ${t.fullName}`));
    if (skipped.length === 0) return;
    process.stdout.write(`\nskipped (${skipped.length}):\n${skipped.join('\n')}\n`);
  }
}
