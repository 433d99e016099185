// The last line of a test run says how many end-to-end tests ran: a run that skipped them all (not root,
// not Linux) must not read as a pass of the engine.
export default class EndToEndSummary {
  onRunComplete(_contexts, results) {
    const e2e = results.testResults.filter((file) => file.testFilePath.includes('/test/e2e/'));
    if (e2e.length === 0) return;
    const count = (status) => e2e.reduce((n, file) => n + file.testResults.filter((t) => t.status === status).length, 0);
    const ran = count('passed') + count('failed');
    const broken = e2e.filter((file) => file.testExecError !== undefined).length;
    const brokenNote = broken === 0 ? '' : `; ${broken} test file${broken === 1 ? '' : 's'} failed to run`;
    const skipped = count('pending') + count('skipped') + count('todo');
    const line = ran === 0
      ? `End-to-end tests: NONE RAN — ${skipped} skipped (the reason is printed above)${brokenNote}; the engine went untested.`
      : `End-to-end tests: ${ran} ran (${count('failed')} failed), ${skipped} skipped${brokenNote}.`;
    // Jest prints its own summary after every reporter; this line goes out after it, as the process ends.
    process.once('exit', () => process.stderr.write(`${line}\n`));
  }
}
