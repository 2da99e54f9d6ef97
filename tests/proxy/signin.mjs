// The browser half of tests/proxy/run.py: Chromium signs in to Galley through nginx (TLS with the
// test's self-signed certificate, path prefix /nuget/). Usage: node signin.mjs PUBLIC_URL USER PASSWORD
// Prints one "ok - …" / "FAIL - …" line per case; exit 1 when one fails.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, chromiumBin, CHROMIUM_ARGS, runCases } from "../browser/browser.mjs";

const [publicUrl, user, password] = process.argv.slice(2);
const t = { outside: [], failed: [] };

function expect(ok, what) {
  if (!ok) throw new Error(what);
}

await runCases(
  [
    {
      name: "Chromium starts and the portal loads through the proxy",
      async run() {
        t.userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "galley-proxy-chromium-"));
        t.context = await chromium.launchPersistentContext(t.userDataDir, {
          executablePath: chromiumBin,
          headless: true,
          args: CHROMIUM_ARGS,
          ignoreHTTPSErrors: true,
        });
        // Everything the pages load must stay under the prefix: record anything else and refuse it.
        await t.context.route("**/*", (route) => {
          const url = route.request().url();
          if (url.startsWith(publicUrl + "/")) return route.continue();
          t.outside.push(url);
          return route.abort();
        });
        t.page = t.context.pages()[0] ?? (await t.context.newPage());
        t.page.on("response", (r) => {
          if (r.status() >= 400) t.failed.push(`${r.status()} ${r.url()}`);
        });
        const r = await t.page.goto(publicUrl + "/");
        expect(r.status() === 200, `home answered ${r.status()}`);
      },
    },
    {
      name: "a page that needs an account leads through sign-in and back, under /nuget/",
      async run() {
        await t.page.goto(publicUrl + "/account/apikeys");
        expect(t.page.url().startsWith(publicUrl + "/users/account/LogOn?returnUrl="), `at ${t.page.url()}`);
        await t.page.locator("#f-username").fill(user);
        await t.page.locator("#f-password").fill(password);
        await Promise.all([t.page.waitForURL(publicUrl + "/account/apikeys"), t.page.getByRole("button", { name: "Sign in" }).click()]);
        expect((await t.page.locator(".account-menu").count()) > 0, "the account menu shows");
      },
    },
    {
      name: "the session cookie is Secure, HttpOnly and scoped to /nuget",
      async run() {
        const session = (await t.context.cookies(publicUrl + "/")).find((c) => c.name === "galley_session");
        expect(session, "no session cookie");
        expect(session.path === "/nuget" && session.secure && session.httpOnly && session.sameSite === "Lax", JSON.stringify(session));
      },
    },
    {
      name: "every request stayed under the prefix and none failed",
      async run() {
        expect(t.outside.length === 0, `outside the prefix: ${t.outside.join(", ")}`);
        expect(t.failed.length === 0, `failed: ${t.failed.join(", ")}`);
      },
    },
  ],
  t,
);
