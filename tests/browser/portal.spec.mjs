// The portal in a real browser (Playwright driving Debian's Chromium) against a real server.
//
//   GALLEY_BIN=target/debug/galley node tests/browser/portal.spec.mjs    (or tests/browser/run.sh)
//
// Prints one line per case and "N passed, M failed"; exits non-zero on any failure. Screenshots of
// every page go to target/browser-screenshots/ (SCREENSHOT_DIR overrides).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { nupkg } from "./nupkg.mjs";
import { CHROMIUM_ARGS, chromium, chromiumBin, galleyBin, repo, runCases } from "./browser.mjs";
import { GalleyServer } from "./server.mjs";

const screenshotDir = process.env.SCREENSHOT_DIR ?? path.join(repo, "target/browser-screenshots");

const README = `# Browser Demo

A package pushed by the **browser test**.

\`\`\`csharp
var demo = new Demo();
\`\`\`

<script>window.readmeScriptRan = true</script>
<img src="x" onerror="window.readmeHandlerRan = true" alt="x">
`;

function expect(condition, message) {
  if (!condition) throw new Error(message);
}

function expectEqual(actual, expected, what) {
  expect(actual === expected, `${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

// Shared by the cases, in order: the server, the browser page, what the page reported.
const t = { server: null, context: null, page: null, external: [], problems: [] };

async function shot(name) {
  await t.page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: true });
}

async function open(pathAndQuery) {
  const response = await t.page.goto(t.server.base + pathAndQuery);
  return response.status();
}

const cardIds = () => t.page.locator(".card-title > a").allTextContents();

// Each case is one line of the report. The account flows (register → sign in → create an API key
// → upload through the page → invite an owner → accept from the outbox link → Manage my packages)
// come after the public pages (which count setup's packages) and before the final checks.
const cases = [
  {
    name: "setup: server starts, CLI creates a user and an API key, packages are pushed over HTTP",
    async run() {
      t.server = new GalleyServer(galleyBin);
      await t.server.start();
      t.server.cli(["user", "add", "alice", "--email", "alice@example.com", "--password-stdin"], "correct horse battery\n");
      const key = t.server.cli(["apikey", "create", "--user", "alice", "--name", "browser"]).trim().split("\n").pop();
      expect(key && key.length > 20, `no key printed: ${key}`);
      await t.server.push(key, nupkg({ id: "Browser.Demo", version: "1.0.0", description: "A demo package.", tags: "demo browser", readme: README }));
      await t.server.push(key, nupkg({ id: "Browser.Preview", version: "0.1.0-beta", description: "Only a prerelease so far." }));

      const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "galley-chromium-"));
      t.context = await chromium.launchPersistentContext(userDataDir, {
        executablePath: chromiumBin,
        headless: true,
        args: CHROMIUM_ARGS,
        viewport: { width: 1280, height: 900 },
      });
      t.userDataDir = userDataDir;
      await t.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: t.server.base });
      // The portal must work on a network without internet: record and refuse anything else.
      await t.context.route("**/*", (route) => {
        const url = route.request().url();
        if (url.startsWith(t.server.base)) return route.continue();
        t.external.push(url);
        return route.abort();
      });
      t.page = t.context.pages()[0] ?? (await t.context.newPage());
      t.page.on("pageerror", (e) => t.problems.push(`script error: ${e.message}`));
      t.page.on("console", (m) => {
        if (/Content Security Policy|Refused to/i.test(m.text())) t.problems.push(`CSP: ${m.text()}`);
      });
    },
  },
  {
    name: "home lists the packages and suggests ids while typing",
    async run() {
      expectEqual(await open("/"), 200, "status");
      await shot("home");
      const popular = await t.page.locator("section[aria-labelledby=popular-heading] .card-title > a").allTextContents();
      expect(popular.includes("Browser.Demo"), `most downloaded: ${popular}`);
      await t.page.locator("#search-q").pressSequentially("Browser.D", { delay: 30 });
      await t.page.locator('#search-suggestions option[value="Browser.Demo"]').waitFor({ state: "attached", timeout: 5000 });
    },
  },
  {
    name: "search finds the package",
    async run() {
      await t.page.locator("#search-q").fill("browser");
      await Promise.all([t.page.waitForURL(/\/packages\?q=browser$/), t.page.keyboard.press("Enter")]);
      await shot("search");
      const ids = await cardIds();
      expect(ids.includes("Browser.Demo") && ids.includes("Browser.Preview"), `results: ${ids}`);
      expect(await t.page.locator(".results-count").textContent().then((s) => s.includes("2 packages")), "count");
    },
  },
  {
    name: "package page shows the rendered README and the install snippet",
    async run() {
      await Promise.all([t.page.waitForURL(/\/packages\/Browser\.Demo$/), t.page.getByRole("link", { name: "Browser.Demo", exact: true }).click()]);
      await shot("package");
      expectEqual(await t.page.locator(".markdown h1").textContent(), "Browser Demo", "README heading");
      expect((await t.page.locator(".markdown pre code").textContent()).includes("new Demo()"), "README code block");
      const ran = await t.page.evaluate(() => [window.readmeScriptRan, window.readmeHandlerRan]);
      expectEqual(JSON.stringify(ran), "[null,null]", "README script or handler ran");
      expectEqual(await t.page.locator("#snippet-dotnet-cli").textContent(), "dotnet add package Browser.Demo --version 1.0.0", ".NET CLI snippet");
      expect(await t.page.locator("#snippet-dotnet-cli").isVisible(), "the first tab's snippet is visible");
      expect(!(await t.page.locator("#snippet-paket").isVisible()), "other tabs' snippets are hidden");
    },
  },
  {
    name: "install tabs work with the keyboard and the copy button fills the clipboard",
    async run() {
      await t.page.getByRole("tab", { name: ".NET CLI" }).focus();
      await t.page.keyboard.press("ArrowRight");
      expectEqual(await t.page.getByRole("tab", { name: "Package Manager" }).getAttribute("aria-selected"), "true", "arrow key selects the next tab");
      await t.page.getByRole("tab", { name: "PackageReference" }).click();
      const copy = t.page.getByRole("button", { name: "Copy the PackageReference command" });
      await copy.click();
      // The clipboard write is asynchronous; the button says "Copied" once it is done.
      await t.page.waitForFunction((b) => b.textContent === "Copied", await copy.elementHandle(), { timeout: 5000 });
      const clip = await t.page.evaluate(() => navigator.clipboard.readText());
      expectEqual(clip, '<PackageReference Include="Browser.Demo" Version="1.0.0" />', "clipboard");
      await shot("package-copied");
    },
  },
  {
    name: "prerelease toggle hides and shows prerelease-only packages",
    async run() {
      await open("/packages?q=browser");
      const toggle = t.page.getByLabel("Include prerelease");
      expect(await toggle.isChecked(), "prerelease is included by default");
      await Promise.all([t.page.waitForURL(/prerelease=false/), toggle.uncheck()]);
      await shot("search-stable-only");
      let ids = await cardIds();
      expect(ids.includes("Browser.Demo") && !ids.includes("Browser.Preview"), `stable only: ${ids}`);
      await Promise.all([t.page.waitForURL(/\/packages\?q=browser$/), t.page.getByLabel("Include prerelease").check()]);
      ids = await cardIds();
      expect(ids.includes("Browser.Preview"), `with prerelease: ${ids}`);
    },
  },
  {
    name: "keyboard users can skip to the content",
    async run() {
      await open("/");
      await t.page.keyboard.press("Tab");
      expectEqual(await t.page.evaluate(() => document.activeElement.textContent), "Skip to main content", "first tab stop");
      await t.page.keyboard.press("Enter");
      expectEqual(await t.page.evaluate(() => document.activeElement.id), "main", "focus after skipping");
    },
  },
  {
    name: "unknown package shows the friendly 404 page",
    async run() {
      expectEqual(await open("/packages/No.Such.Package"), 404, "status");
      await shot("not-found");
      expectEqual(await t.page.locator("h1").textContent(), "Page not found", "heading");
    },
  },
  {
    name: "pages fit a phone screen",
    async run() {
      await t.page.setViewportSize({ width: 375, height: 800 });
      for (const [route, name] of [["/", "home-phone"], ["/packages/Browser.Demo", "package-phone"]]) {
        await open(route);
        await shot(name);
        const [scroll, width] = await t.page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
        expect(scroll <= width, `${route} scrolls sideways: ${scroll} > ${width}`);
      }
      await t.page.setViewportSize({ width: 1280, height: 900 });
    },
  },
  {
    name: "dark theme follows the system preference",
    async run() {
      await t.page.emulateMedia({ colorScheme: "dark" });
      await open("/packages/Browser.Demo");
      await shot("package-dark");
      expectEqual(await t.page.evaluate(() => getComputedStyle(document.body).backgroundColor), "rgb(13, 17, 23)", "dark background");
      await t.page.emulateMedia({ colorScheme: "light" });
    },
  },
  // Account flows, in order: each case leaves the browser where the next one starts.
  {
    name: "register through the page, check your email, then sign in as the new account",
    async run() {
      expectEqual(await open("/users/account/Register"), 200, "status");
      await t.page.locator("#f-username").fill("carol");
      await t.page.locator("#f-email").fill("carol@example.com");
      await t.page.locator("#f-password").fill("carol-password-1");
      await shot("register");
      await t.page.locator("main button[type=submit]").click();
      // Registering no longer signs in: the page says where the confirmation link went.
      await t.page.locator("h1", { hasText: "Check your email" }).waitFor({ timeout: 5000 });
      await shot("register-check-email");
      expectEqual(
        await t.page.locator("main p[role=status]").textContent(),
        "We sent a link to carol@example.com to confirm the address. Sign in as carol to continue.",
        "message",
      );
      expectEqual(await t.page.locator(".account-menu").count(), 0, "not signed in yet");
      await Promise.all([t.page.waitForURL(/\/users\/account\/LogOn/), t.page.locator("main").getByRole("link", { name: "Sign in" }).click()]);
      await t.page.locator("#f-username").fill("carol");
      await t.page.locator("#f-password").fill("carol-password-1");
      await Promise.all([t.page.waitForURL(t.server.base + "/"), t.page.locator("main button[type=submit]").click()]);
      expectEqual(await t.page.locator(".account-menu summary").textContent(), "carol", "header shows the account");
    },
  },
  {
    name: "sign out, then a page that needs an account leads through sign-in and back",
    async run() {
      await t.page.locator(".account-menu summary").click();
      await shot("account-menu");
      await Promise.all([t.page.waitForURL(t.server.base + "/"), t.page.getByRole("button", { name: "Sign out" }).click()]);
      expectEqual(await t.page.locator(".account-menu").count(), 0, "signed out");
      await open("/packages/manage/upload");
      expect(t.page.url().includes("/users/account/LogOn?returnUrl=%2Fpackages%2Fmanage%2Fupload"), `at ${t.page.url()}`);
      await t.page.locator("#f-username").fill("carol");
      await t.page.locator("#f-password").fill("wrong-password");
      await t.page.locator("main button[type=submit]").click();
      await t.page.locator("#f-password-error").waitFor();
      await shot("sign-in-error");
      expectEqual(await t.page.locator("#f-username").inputValue(), "carol", "keeps what was typed");
      await t.page.locator("#f-password").fill("carol-password-1");
      await Promise.all([t.page.waitForURL(/\/packages\/manage\/upload$/), t.page.locator("main button[type=submit]").click()]);
    },
  },
  {
    name: "create an API key, read it from the page and copy it",
    async run() {
      expectEqual(await open("/account/apikeys"), 200, "status");
      await t.page.locator("#f-description").fill("browser key");
      await t.page.locator("input[name=scopes][value=push]").check();
      await t.page.locator("#f-globs").fill("Browser.*");
      await t.page.getByRole("button", { name: "Create" }).click();
      const key = (await t.page.locator("#new-api-key").textContent()).trim();
      await shot("api-key-created");
      expect(key.length > 20, `key: ${key}`);
      await t.page.locator("button[data-copy=new-api-key]").click();
      expectEqual(await t.page.evaluate(() => navigator.clipboard.readText()), key, "clipboard");
      await t.server.push(key, nupkg({ id: "Browser.Keyed", version: "1.0.0", description: "Pushed with the key from the page." }));
      t.carolKey = key;
    },
  },
  {
    name: "upload a package through the page and verify its details",
    async run() {
      expectEqual(await open("/packages/manage/upload"), 200, "status");
      const bytes = nupkg({ id: "Browser.Uploaded", version: "2.0.0", description: "Uploaded from the browser.", tags: "uploaded", readme: "# Uploaded Readme\n\nSent by **the upload page**." });
      await t.page.locator("#f-package").setInputFiles({ name: "Browser.Uploaded.2.0.0.nupkg", mimeType: "application/octet-stream", buffer: Buffer.from(bytes) });
      await shot("upload");
      await Promise.all([t.page.waitForURL(/\/packages\/manage\/upload\/verify\?upload=/), t.page.getByRole("button", { name: "Upload" }).click()]);
      await shot("upload-verify");
      expectEqual(await t.page.locator("#verify-id").textContent(), "Browser.Uploaded", "id");
      expectEqual(await t.page.locator("#verify-version").textContent(), "2.0.0", "version");
      await Promise.all([t.page.waitForURL(/\/packages\/Browser\.Uploaded$/), t.page.getByRole("button", { name: "Submit" }).click()]);
    },
  },
  {
    name: "the uploaded package is found by search and its page renders the README",
    async run() {
      await open("/packages?q=uploaded");
      await shot("search-uploaded");
      expect((await cardIds()).includes("Browser.Uploaded"), "in the results");
      await t.page.locator(".card-title > a", { hasText: "Browser.Uploaded" }).click();
      await t.page.waitForURL(/\/packages\/Browser\.Uploaded$/);
      await t.page.locator(".readme h1, .readme h2", { hasText: "Uploaded Readme" }).first().waitFor({ timeout: 5000 });
      await shot("package-uploaded");
    },
  },
  {
    name: "invite a second user as owner: pending approval",
    async run() {
      t.server.cli(["user", "add", "dave", "--email", "dave@example.com", "--password-stdin"], "dave-password-1\n");
      expectEqual(await open("/packages/Browser.Uploaded/owners"), 200, "status");
      await t.page.locator("#f-username").fill("nobody");
      await t.page.getByRole("button", { name: "Invite" }).click();
      await t.page.locator("#f-username-error").waitFor();
      await t.page.locator("#f-username").fill("dave");
      await t.page.getByRole("button", { name: "Invite" }).click();
      await t.page.locator("#owners", { hasText: "pending approval" }).waitFor();
      await shot("owners");
    },
  },
  {
    name: "the second user accepts through the link in the outbox and sees the package",
    async run() {
      const outbox = path.join(t.server.dataDir, "outbox");
      let link = null;
      for (let i = 0; i < 50 && !link; i++) {
        for (const f of fs.existsSync(outbox) ? fs.readdirSync(outbox) : []) {
          const text = fs.readFileSync(path.join(outbox, f), "utf8");
          const m = text.includes("To: dave@example.com") && text.match(/https?:\/\/\S+\/owners\/confirm\?token=\S+/);
          if (m) link = m[0];
        }
        if (!link) await new Promise((r) => setTimeout(r, 100));
      }
      expect(link, "no invitation in the outbox");
      await t.page.locator(".account-menu summary").click();
      await Promise.all([t.page.waitForURL(t.server.base + "/"), t.page.getByRole("button", { name: "Sign out" }).click()]);
      await t.page.goto(link);
      expect(t.page.url().includes("/users/account/LogOn"), `sign in first: ${t.page.url()}`);
      await t.page.locator("#f-username").fill("dave");
      await t.page.locator("#f-password").fill("dave-password-1");
      await Promise.all([t.page.waitForURL(/\/owners\/confirm\?token=/), t.page.locator("main button[type=submit]").click()]);
      await shot("owner-confirm");
      await Promise.all([t.page.waitForURL(/\/account\/packages$/), t.page.getByRole("button", { name: "Accept" }).click()]);
      await shot("manage-packages");
      expect((await t.page.locator("#my-packages .card-title > a").allTextContents()).includes("Browser.Uploaded"), "listed under Manage my packages");
    },
  },
  {
    name: "no script errors, no CSP violations, no requests off this server",
    async run() {
      expect(t.problems.length === 0, t.problems.join("; "));
      expect(t.external.length === 0, `external requests: ${t.external.join(", ")}`);
    },
  },
];

fs.rmSync(screenshotDir, { recursive: true, force: true });
fs.mkdirSync(screenshotDir, { recursive: true });
await runCases(cases, t, async (n) => {
  if (t.page) await shot(`failed-${n}`);
});
console.log(`screenshots: ${screenshotDir}`);
