// What every browser test needs: the repository root, Playwright's Chromium launcher (from
// target/browser-tools, installed by run.sh), Debian's Chromium, the galley binary under test and
// the flags that keep Chromium off the network.
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const tools = process.env.BROWSER_TOOLS ?? path.join(repo, "target/browser-tools");
export const { chromium } = createRequire(path.join(tools, "node_modules", "_"))("playwright-core");
export const chromiumBin = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";
// Absolute: the server and the CLI run in a temp folder.
export const galleyBin = process.env.GALLEY_BIN && path.resolve(process.env.GALLEY_BIN);
if (!galleyBin) {
  console.error("Set GALLEY_BIN to the galley binary (e.g. target/debug/galley).");
  process.exit(2);
}

// Without the background-networking flags Chromium calls home, and this machine's closed network
// refuses those connections.
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * Runs the cases in order, one line each, then tears down the shared browser context and server
 * of `t` (whatever the cases got to), prints "N passed, M failed" and sets the exit code.
 * `onFailure(n)` runs after the n-th case failed (a screenshot, say).
 */
export async function runCases(cases, t, onFailure = async () => {}) {
  let passed = 0;
  let failed = 0;
  try {
    for (const c of cases) {
      try {
        await c.run();
        passed++;
        console.log(`ok - ${c.name}`);
      } catch (e) {
        failed++;
        console.log(`FAIL - ${c.name}: ${e.message.split("\n")[0]}`);
        await onFailure(passed + failed).catch(() => {});
      }
    }
  } finally {
    if (t.context) await t.context.close().catch(() => {});
    if (t.userDataDir) fs.rmSync(t.userDataDir, { recursive: true, force: true });
    if (t.server) await t.server.stop();
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed === 0 ? 0 : 1;
  return failed;
}
