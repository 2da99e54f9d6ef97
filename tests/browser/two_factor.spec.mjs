// Two-factor authentication in a real browser: enrol from the account settings (the secret read
// from the page, codes computed here by RFC 6238 with node's crypto), sign out, sign in again
// with a code, then with a recovery code; the second step follows the returnUrl.
//
//   GALLEY_BIN=target/debug/galley node tests/browser/two_factor.spec.mjs    (or tests/browser/run.sh)
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { CHROMIUM_ARGS, chromium, chromiumBin, galleyBin, repo, runCases } from "./browser.mjs";
import { GalleyServer } from "./server.mjs";

const screenshotDir = process.env.SCREENSHOT_DIR ?? path.join(repo, "target/browser-screenshots/two-factor");

function expect(condition, message) {
  if (!condition) throw new Error(message);
}

function expectEqual(actual, expected, what) {
  expect(actual === expected, `${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

/** RFC 4648 base32 (no padding) to bytes. */
function base32(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of text.replace(/=+$/, "").toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

/** RFC 6238: HMAC-SHA-1 of the 30-second step counter, dynamically truncated to 6 digits. */
function totp(secret, offsetSteps = 0) {
  const step = Math.floor(Date.now() / 1000 / 30) + offsetSteps;
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = crypto.createHmac("sha1", base32(secret)).update(counter).digest();
  const at = mac[mac.length - 1] & 0x0f;
  return String((mac.readUInt32BE(at) & 0x7fffffff) % 1_000_000).padStart(6, "0");
}

const t = { server: null, context: null, page: null, problems: [], secret: "", recovery: [] };

async function shot(name) {
  await t.page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: true });
}

async function signOut() {
  await t.page.locator(".account-menu summary").click();
  await Promise.all([t.page.waitForURL(t.server.base + "/"), t.page.getByRole("button", { name: "Sign out" }).click()]);
  expectEqual(await t.page.locator(".account-menu").count(), 0, "signed out");
}

/** The password step from a page that needs an account: ends on the code page. */
async function passwordStep() {
  await t.page.goto(t.server.base + "/account/apikeys");
  expect(t.page.url().includes("/users/account/LogOn?returnUrl=%2Faccount%2Fapikeys"), `at ${t.page.url()}`);
  await t.page.locator("#f-username").fill("dana");
  await t.page.locator("#f-password").fill("dana-password-1");
  await Promise.all([t.page.waitForURL(/\/users\/account\/TwoFactor\?returnUrl=%2Faccount%2Fapikeys$/), t.page.locator("main button[type=submit]").click()]);
  expectEqual(await t.page.locator(".account-menu").count(), 0, "no session before the code");
  expectEqual(await t.page.locator("label[for=f-code]").textContent(), "Enter the code from your authenticator app", "label");
}

const cases = [
  {
    name: "setup: server starts, CLI creates a user, the browser signs in",
    async run() {
      t.server = new GalleyServer(galleyBin);
      await t.server.start();
      t.server.cli(["user", "add", "dana", "--email", "dana@example.com", "--password-stdin"], "dana-password-1\n");
      t.userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "galley-chromium-"));
      t.context = await chromium.launchPersistentContext(t.userDataDir, {
        executablePath: chromiumBin,
        headless: true,
        args: CHROMIUM_ARGS,
        viewport: { width: 1280, height: 900 },
      });
      await t.context.route("**/*", (route) =>
        route.request().url().startsWith(t.server.base) ? route.continue() : route.abort());
      t.page = t.context.pages()[0] ?? (await t.context.newPage());
      t.page.on("pageerror", (e) => t.problems.push(`script error: ${e.message}`));
      // Refused codes answer 400, which the console reports too; only CSP reports are problems.
      t.page.on("console", (m) => {
        if (/Content Security Policy|Refused to/i.test(m.text())) t.problems.push(`CSP: ${m.text()}`);
      });
      await t.page.goto(t.server.base + "/users/account/LogOn");
      await t.page.locator("#f-username").fill("dana");
      await t.page.locator("#f-password").fill("dana-password-1");
      await Promise.all([t.page.waitForURL(t.server.base + "/"), t.page.locator("main button[type=submit]").click()]);
    },
  },
  {
    name: "enrol from the account settings: QR code and secret shown, a wrong code refused, the right one turns it on",
    async run() {
      await t.page.goto(t.server.base + "/account");
      await Promise.all([t.page.waitForURL(/\/account\/two-factor$/), t.page.getByRole("link", { name: "Set up two-factor authentication" }).click()]);
      expect(await t.page.locator(".qr-code svg").isVisible(), "the QR code is shown");
      t.secret = (await t.page.locator("#two-factor-secret").textContent()).trim();
      expect(/^[A-Z2-7]{32}$/.test(t.secret), `secret: ${t.secret}`);
      await shot("enrol");
      const wrong = totp(t.secret) === "000000" ? "111111" : "000000";
      await t.page.locator("#f-code").fill(wrong);
      await t.page.locator("main button[type=submit].primary").click();
      await t.page.locator("#f-code-error").waitFor();
      await t.page.locator("#f-code").fill(totp(t.secret));
      await t.page.locator("main button[type=submit].primary").click();
      await t.page.locator("#recovery-codes").waitFor();
      await shot("recovery-codes");
      t.recovery = (await t.page.locator("#recovery-codes code").allTextContents()).map((c) => c.trim());
      expectEqual(t.recovery.length, 10, "recovery codes");
      expect((await t.page.locator("#two-factor-status").textContent()).includes("on"), "status says on");
    },
  },
  {
    name: "sign out, sign in again with a code from the authenticator, back where the sign-in started",
    async run() {
      await signOut();
      await passwordStep();
      await shot("second-step");
      // The enrolment spent the current step's code; the next step's is within the allowed skew.
      await t.page.locator("#f-code").fill(totp(t.secret, 1));
      await Promise.all([t.page.waitForURL(/\/account\/apikeys$/), t.page.locator("main button[type=submit]").click()]);
      expectEqual(await t.page.locator(".account-menu summary").textContent(), "dana", "signed in");
    },
  },
  {
    name: "sign out, sign in with a recovery code; the same recovery code is refused the next time",
    async run() {
      await signOut();
      await passwordStep();
      await t.page.locator("#f-code").fill(t.recovery[0]);
      await Promise.all([t.page.waitForURL(/\/account\/apikeys$/), t.page.locator("main button[type=submit]").click()]);
      expectEqual(await t.page.locator(".account-menu summary").textContent(), "dana", "signed in");
      await signOut();
      await passwordStep();
      await t.page.locator("#f-code").fill(t.recovery[0]);
      await t.page.locator("main button[type=submit]").click();
      await t.page.locator("#f-code-error").waitFor();
      await shot("recovery-code-used");
      expectEqual(
        await t.page.locator("#f-code-error").textContent(),
        "The code is incorrect; enter the current 6-digit code from your authenticator app, or a recovery code.",
        "message",
      );
      expectEqual(await t.page.locator(".account-menu").count(), 0, "still signed out");
    },
  },
  {
    name: "no script errors and no CSP violations",
    async run() {
      expect(t.problems.length === 0, t.problems.join("; "));
    },
  },
];

fs.rmSync(screenshotDir, { recursive: true, force: true });
fs.mkdirSync(screenshotDir, { recursive: true });
await runCases(cases, t, async (n) => {
  if (t.page) await shot(`failed-${n}`);
});
