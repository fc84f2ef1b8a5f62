// Prints the plain closing line CI reads ("N passed, N failed, N skipped") after jest's own summary.
// Jest writes its summary to stderr after reporters run, so the line is printed at process exit.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const line = `${results.numPassedTests} passed, ${results.numFailedTests} failed, ` +
      `${results.numPendingTests + results.numTodoTests} skipped`;
    const failedSuites = results.numRuntimeErrorTestSuites;
    process.on('exit', () => {
      if (failedSuites > 0) process.stdout.write(`${failedSuites} test suites failed to run\n`);
      process.stdout.write(`${line}\n`);
    });
  }
}
module.exports = SummaryReporter;
