// Mocha's spec output plus a machine-readable summary file, so .ci/run can print "N passed, M failed".
const fs = require('node:fs');
const Mocha = require('mocha');

class SpecWithSummary extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const out = process.env.MOCHA_SUMMARY_FILE || '.test-output/mocha-summary.json';
    runner.once('end', () => {
      const { passes, failures, pending, tests } = this.stats;
      fs.mkdirSync(require('node:path').dirname(out), { recursive: true });
      fs.writeFileSync(out, JSON.stringify({ passes, failures, pending, tests }));
    });
  }
}

module.exports = SpecWithSummary;
