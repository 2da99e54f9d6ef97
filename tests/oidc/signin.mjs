// The browser half of tests/oidc/run.py: Chromium signs in to Galley through the real provider's
// login and consent pages, then, after run.py has removed the person from the allowed group, is
// refused with Galley's page and its session is gone.
// Usage: node signin.mjs GALLEY_URL LOGIN. Prints "remove LOGIN" and waits for a line on stdin
// when the provider should drop the person from the group; one "ok - …" / "FAIL - …" line per case.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { chromium, chromiumBin, CHROMIUM_ARGS, runCases } from "../browser/browser.mjs";

const [base, login] = process.argv.slice(2);
const t = {};
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();

function expect(ok, what) {
  if (!ok) throw new Error(what);
}

/** From Galley's sign-in page through the provider's pages and back to Galley. */
async function signInThroughProvider(page) {
  await page.goto(base + "/users/account/LogOn?returnUrl=%2Faccount");
  await page.getByRole("button", { name: "Sign in with corp" }).click();
  // The "Continuing to corp" page (the form's answer, at the form's URL) moves on by itself to the
  // provider, which may send the browser straight back when it remembers the person.
  const start = base + "/users/account/oidc/corp";
  await page.waitForURL((url) => !url.toString().startsWith(base + "/users/account/LogOn") && url.toString() !== start, {
    timeout: 20000,
  });
  // At most a login page and a consent page; the provider skips them when it remembers both.
  for (let step = 0; step < 10 && !page.url().startsWith(base + "/"); step++) {
    await page.waitForLoadState();
    if (await page.locator('input[name="login"]').count()) {
      await page.locator('input[name="login"]').fill(login);
      await page.locator('input[name="password"]').fill("any");
    } else if (!(await page.locator('input[name="prompt"][value="consent"]').count())) {
      await page.waitForTimeout(200);
      continue;
    }
    await Promise.all([page.waitForNavigation(), page.locator('button[type="submit"]').click()]);
  }
  await page.waitForURL((url) => url.toString().startsWith(base + "/"), { timeout: 20000 });
  await page.waitForLoadState();
}

await runCases(
  [
    {
      name: "Chromium signs in with corp through the provider's pages and lands on the returnUrl",
      async run() {
        t.userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "galley-oidc-chromium-"));
        t.context = await chromium.launchPersistentContext(t.userDataDir, {
          executablePath: chromiumBin,
          headless: true,
          args: CHROMIUM_ARGS,
        });
        t.page = t.context.pages()[0] ?? (await t.context.newPage());
        await signInThroughProvider(t.page);
        expect(t.page.url() === base + "/account", `at ${t.page.url()}`);
        expect((await t.page.locator(".account-menu").count()) > 0, "the account menu shows");
        const text = await t.page.locator("main").innerText();
        expect(text.includes(login) && text.includes(`${login}@corp.example`), "the settings page shows the new account");
      },
    },
    {
      name: "removed from the allowed group, the next sign-in (another device) is refused and the first device's session has ended",
      async run() {
        console.log(`remove ${login}`);
        await lines.next();
        // The next sign-in, from another device (a second browser profile).
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "galley-oidc-chromium-"));
        const other = await chromium.launchPersistentContext(dir, { executablePath: chromiumBin, headless: true, args: CHROMIUM_ARGS });
        try {
          const page = other.pages()[0] ?? (await other.newPage());
          await signInThroughProvider(page);
          const text = await page.locator("main").innerText();
          expect(
            text.includes("Your corp account is not in a group allowed to use this server; ask an administrator to add you."),
            `the page says: ${text.slice(0, 200)}`,
          );
        } finally {
          await other.close();
          fs.rmSync(dir, { recursive: true, force: true });
        }
        // The first device's session has ended with that refusal.
        const r = await t.page.goto(base + "/account");
        expect(t.page.url().startsWith(base + "/users/account/LogOn"), `the old session still works (${r.status()} ${t.page.url()})`);
      },
    },
  ],
  t,
);
process.exit(process.exitCode ?? 0);
