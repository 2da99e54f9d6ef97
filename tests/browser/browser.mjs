// What every browser test needs: the repository root, Playwright's Chromium launcher (from
// target/browser-tools, installed by run.sh), Debian's Chromium, the galley binary under test and
// the flags that keep Chromium off the network.
import { createRequire } from "node:module";
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
