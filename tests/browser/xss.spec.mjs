// Stored and reflected XSS in a real browser (Playwright driving Debian's Chromium) against a real
// server: packages whose every free-text field, README, license file, icon and nuspec carry hostile
// payloads are pushed, then every portal page and every route that serves package bytes is opened
// as an administrator, as a plain user and anonymously.
//
//   GALLEY_BIN=target/debug/galley node tests/browser/xss.spec.mjs    (or tests/browser/run.sh)
//
// Every payload sets the same flag, window.__xss. After each navigation the case asserts, in the
// main frame: the flag is unset, no dialog opened, and (on portal pages) no CSP violation was
// reported, since a violation means a payload reached the HTML unescaped and only the policy
// stopped it. Prints one line per case and "N passed, M failed"; exits non-zero on any failure.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { zip } from "./nupkg.mjs";
import { CHROMIUM_ARGS, chromium, chromiumBin, galleyBin, runCases } from "./browser.mjs";
import { GalleyServer } from "./server.mjs";


// Each one sets the flag if it ever runs; together they cover element, attribute, URL, template,
// mutation and framing contexts.
const PAYLOADS = [
  "<script>window.__xss=1</script>",
  '"><img src=x onerror="window.__xss=1">',
  "'><svg onload=window.__xss=1>",
  "javascript:window.__xss=1",
  "{{7*7}}${7*7}<%= 7*7 %>",
  "</textarea></title><script>window.__xss=1</script>",
  '<iframe srcdoc="<script>parent.__xss=1</script>"></iframe>',
  "<details open ontoggle=window.__xss=1>",
  '<a href="javascript:window.__xss=1">click</a>',
  "<math><mtext><table><mglyph><style><img src=x onerror=window.__xss=1></style></mglyph></table></mtext></math>",
  '<meta http-equiv="refresh" content="0;url=javascript:window.__xss=1">',
  "<base href=//evil.example/>",
];
const HOSTILE = PAYLOADS.join(" ");
const xml = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

const README = `# Hostile README

${PAYLOADS.join("\n\n")}

[markdown link](javascript:window.__xss=1) [spaced]( javascript:window.__xss=1 ) [entity](jav&#x09;ascript:window.__xss=1)

![image](javascript:window.__xss=1) ![svg](data:image/svg+xml;base64,${Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="window.__xss=1"/>').toString("base64")})

<a href="data:text/html,<script>window.__xss=1</script>">data link</a> <form action="javascript:window.__xss=1"><button formaction="javascript:window.__xss=1">go</button></form>

<object data="javascript:window.__xss=1"></object><embed src="javascript:window.__xss=1">

\`\`\`html
<script>window.__xss=1</script>
\`\`\`
`;
const LICENSE_TEXT = `Hostile license\n${HOSTILE}\n`;
// An SVG with script, named like a PNG: it must never be served as SVG.
const SVG_ICON = `<svg xmlns="http://www.w3.org/2000/svg" onload="window.__xss=1"><script>window.__xss=1</script></svg>`;

/** A package whose every free-text field carries the payloads. license: "expression" | "file". */
function hostilePackage(id, version, license = "expression") {
  const h = xml(HOSTILE);
  const licenseElement =
    license === "file" ? "<license type=\"file\">LICENSE.txt</license>" : `<license type="expression">MIT OR ${h}</license>`;
  const nuspec = `<?xml version="1.0" encoding="utf-8"?>
<!-- ${HOSTILE.replace(/--/g, "- -")} -->
<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
  <metadata minClientVersion="2.12">
    <id>${id}</id>
    <version>${version}</version>
    <title>${h}</title>
    <authors>${h}</authors>
    <owners>${h}</owners>
    <description>${h}</description>
    <summary>${h}</summary>
    <releaseNotes><![CDATA[${HOSTILE}]]></releaseNotes>
    <copyright>${h}</copyright>
    <language>${h}</language>
    <tags>${PAYLOADS.map(xml).join(" ")}</tags>
    ${licenseElement}
    <icon>icon.png</icon>
    <readme>README.md</readme>
    <projectUrl>https://example.org/"&gt;&lt;script&gt;window.__xss=1&lt;/script&gt;</projectUrl>
    <repository type="${h}" url="javascript:window.__xss=1" branch="${h}" commit="${h}" />
    <packageTypes><packageType name="${h}" /></packageTypes>
    <dependencies>
      <group targetFramework="${h}">
        <dependency id="${h}" version="[1.0.0, 2.0.0)" />
        <dependency id="javascript:window.__xss=1" />
      </group>
    </dependencies>
    <frameworkAssemblies><frameworkAssembly assemblyName="${h}" targetFramework="${h}" /></frameworkAssemblies>
  </metadata>
</package>`;
  const files = [
    [`${id}.nuspec`, nuspec],
    ["lib/net8.0/_._", ""],
    ["README.md", README],
    ["icon.png", SVG_ICON],
  ];
  if (license === "file") files.push(["LICENSE.txt", LICENSE_TEXT]);
  return zip(files);
}

/** A package with one nuspec that the server must refuse at push. */
function refusedPackage(id, metadataExtra, afterMetadata = "", beforeRoot = "") {
  const nuspec = `<?xml version="1.0" encoding="utf-8"?>${beforeRoot}
<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
  <metadata>
    <id>${id}</id><version>1.0.0</version><authors>a</authors><description>d</description>
    ${metadataExtra}
  </metadata>${afterMetadata}
</package>`;
  return zip([[`${id}.nuspec`, nuspec], ["lib/net8.0/_._", ""]]);
}

const REFUSED = [
  ["Xss.Refused.Xhtml", "", '<h:script xmlns:h="http://www.w3.org/1999/xhtml">window.__xss=1</h:script>'],
  ["Xss.Refused.SvgInMetadata", '<svg xmlns="http://www.w3.org/2000/svg" onload="window.__xss=1"/>'],
  ["Xss.Refused.Stylesheet", "", "", '\n<?xml-stylesheet type="text/xsl" href="data:text/xsl,x"?>'],
  ["Xss.Refused.ProjectUrl", "<projectUrl>javascript:window.__xss=1</projectUrl>"],
  ["Xss.Refused.ProjectUrlCase", "<projectUrl> JaVaScRiPt:window.__xss=1</projectUrl>"],
  ["Xss.Refused.IconUrl", "<iconUrl>data:image/svg+xml,&lt;svg onload=window.__xss=1&gt;</iconUrl>"],
  ["Xss.Refused.LicenseUrl", "<licenseUrl>file:///etc/passwd</licenseUrl>"],
];

function expect(condition, message) {
  if (!condition) throw new Error(message);
}

// Shared by the cases, in order.
const t = {
  server: null,
  context: null,
  page: null,
  dialogs: [],
  violations: [],
  external: [],
  visited: { portal: 0, content: 0, feed: 0 },
  downloads: 0,
};
const ID = "Xss.Everything";
const VERSIONS = ["1.0.0", "2.0.0-beta.1"];

/** Opens a route; returns the status, or "download" when the browser saved it instead. */
async function navigate(route) {
  t.dialogs.length = 0;
  t.violations.length = 0;
  try {
    const response = await t.page.goto(/^(http|about):/.test(route) ? route : t.server.base + route);
    return response ? response.status() : null;
  } catch (e) {
    if (/Download is starting|net::ERR_ABORTED/.test(e.message)) {
      t.downloads++;
      return "download";
    }
    throw e;
  }
}

/** The flag in every frame (the main one must be reachable; sandboxed children may not be). */
async function flagSet() {
  const main = await t.page.evaluate(() => window.__xss ?? null);
  if (main !== null) return `main frame flag = ${main}`;
  for (const frame of t.page.frames()) {
    if (frame === t.page.mainFrame()) continue;
    const v = await frame.evaluate(() => window.__xss ?? null).catch(() => null);
    if (v !== null) return `frame ${frame.url()} flag = ${v}`;
  }
  return null;
}

/** What a payload would leave behind in a portal page if it were not escaped or sanitized. */
function unsafeMarkup() {
  const bad = [];
  const hostileUrl = (v) => /^(javascript|vbscript|data:text|data:application)/i.test(v.replace(/[\u0000-\u0020]/g, ""));
  for (const el of document.querySelectorAll("*")) {
    for (const a of el.attributes) {
      const name = a.name.toLowerCase();
      if (name.startsWith("on")) bad.push(`<${el.localName} ${name}>`);
      if (["href", "src", "action", "formaction", "data", "xlink:href", "srcdoc", "poster"].includes(name) && (name === "srcdoc" || hostileUrl(a.value))) {
        bad.push(`<${el.localName} ${name}="${a.value.slice(0, 60)}">`);
      }
    }
    if (["iframe", "object", "embed", "base", "frame", "frameset"].includes(el.localName)) bad.push(`<${el.localName}>`);
    if (el.localName === "meta" && el.getAttribute("http-equiv")) bad.push("<meta http-equiv>");
    if (el.localName === "script" && !(el.src && new URL(el.src).origin === location.origin && new URL(el.src).pathname.startsWith("/static/"))) {
      bad.push(`<script src="${el.src}">`);
    }
  }
  return bad;
}

/** Opens a portal page and asserts that nothing hostile ran or was rendered as markup. */
async function portal(route, { status = null, shows = false } = {}) {
  const got = await navigate(route);
  t.visited.portal++;
  if (status !== null) expect(got === status, `${route}: status ${got}, expected ${status}`);
  await checkPortal(route);
  // Where hostile data is displayed, it must be there as plain text (not dropped, not markup).
  if (shows) expect((await t.page.locator("main").innerText()).includes(PAYLOADS[0]), `${route}: the payload text is not shown`);
  return got;
}

async function checkPortal(what) {
  const flag = await flagSet();
  expect(flag === null, `${what}: a payload ran (${flag})`);
  expect(t.dialogs.length === 0, `${what}: dialog opened: ${t.dialogs.join(", ")}`);
  // Read after the evaluate round trips above: the console events of the load arrive before them.
  expect(t.violations.length === 0, `${what}: CSP had to stop something: ${t.violations.join(" | ")}`);
  const bad = await t.page.evaluate(unsafeMarkup);
  expect(bad.length === 0, `${what}: unsafe markup ${bad.join(" ")}`);
  expect(new URL(t.page.url()).origin === t.server.base, `${what}: left the site for ${t.page.url()}`);
}

/** Opens a route that serves package bytes; the flag and dialogs must stay untouched. */
async function content(route) {
  const got = await navigate(route);
  t.visited.content++;
  expect(got === 200 || got === "download", `${route}: status ${got}`);
  const flag = await flagSet();
  expect(flag === null, `${route}: a payload ran (${flag})`);
  expect(t.dialogs.length === 0, `${route}: dialog opened`);
  const head = await fetch(t.server.base + route, { headers: t.cookieHeader ?? {} });
  expect(head.status === 200, `${route}: fetch status ${head.status}`);
  expect(head.headers.get("x-content-type-options") === "nosniff", `${route}: no nosniff`);
  const type = head.headers.get("content-type") ?? "";
  expect(!/html|xml|svg|javascript/i.test(type), `${route}: served as ${type}`);
  return got;
}

async function signIn(username, password) {
  await t.context.clearCookies();
  await navigate("/users/account/LogOn");
  await t.page.locator("#f-username").fill(username);
  await t.page.locator("#f-password").fill(password);
  await Promise.all([t.page.waitForURL((u) => !u.pathname.endsWith("/LogOn")), t.page.locator("main button[type=submit]").click()]);
  const summary = await t.page.locator(".account-menu summary").textContent();
  expect(summary === username, `signed in as ${summary}`);
}

/** Every portal page a signed-in (or anonymous) viewer can open, for the hostile packages. */
async function walkPortal(who) {
  await portal("/", { status: 200 });
  for (const p of PAYLOADS) await portal(`/packages?q=${encodeURIComponent(p)}`, { status: 200 });
  await portal(`/packages?q=xss&page=${encodeURIComponent(PAYLOADS[1])}&sortBy=${encodeURIComponent(PAYLOADS[0])}&prerelease=${encodeURIComponent(PAYLOADS[2])}`);
  // Typed into the search box: the suggestions script and the search form handle the text.
  await portal("/", { status: 200 });
  await t.page.locator("#search-q").pressSequentially(PAYLOADS[1], { delay: 5 });
  await Promise.all([t.page.waitForURL(/\/packages\?q=/), t.page.keyboard.press("Enter")]);
  t.visited.portal++;
  await checkPortal("search typed into the box");
  await portal("/packages?q=xss", { status: 200, shows: true });
  const cards = await t.page.locator(".card-title > a").allTextContents();
  expect(cards.includes(ID), `${who}: search lists ${cards}`);
  for (const route of [`/packages/${ID}`, ...VERSIONS.map((v) => `/packages/${ID}/${v}`)]) {
    await portal(route, { status: 200, shows: true });
    expect((await t.page.locator("main").innerText()).includes("{{7*7}}"), `${route}: template syntax evaluated or dropped`);
    for (const tab of await t.page.getByRole("tab").all()) {
      await tab.click();
      await checkPortal(`${route} tab ${await tab.textContent()}`);
    }
    // Following every link the package controls must not run anything either.
    for (const name of ["Project website", "Source repository", "License info", "License file"]) {
      const link = t.page.locator(".side-links a", { hasText: name });
      if ((await link.count()) === 0) continue;
      const href = await link.first().getAttribute("href");
      expect(/^(https?:\/\/|\/)/.test(href), `${route}: ${name} links to ${href}`);
    }
  }
  for (const v of VERSIONS) {
    // Only the version with a license file has a license page; the other one is the 404 page.
    const hasFile = v === VERSIONS[1];
    await portal(`/packages/${ID}/${v}/License`, { status: hasFile ? 200 : 404, shows: hasFile });
    await portal(`/packages/${ID}/${v}/ReportAbuse`, { status: 200 });
  }
  await portal(`/packages/${ID}/owners`);
  await portal(`/packages/${ID}/owners/confirm?token=${encodeURIComponent(PAYLOADS[1])}`);
  await portal("/packages/Xss.Bob");
  for (const route of ["/account/packages", "/account", "/account/apikeys", "/account/two-factor", "/admin", "/admin/support", "/packages/manage/upload", "/contact"]) {
    await portal(route);
  }
  // OpenID Connect: the providers page (its notice names a provider from the query) and the
  // callback of a provider that does not exist.
  await portal(`/account/sign-in-providers?linked=${encodeURIComponent(PAYLOADS[1])}`);
  await portal(`/users/account/oidc/${encodeURIComponent(PAYLOADS[1])}/callback?state=${encodeURIComponent(PAYLOADS[0])}&code=x`);
  await portal("/profiles/root", { status: 200, shows: true });
  await portal("/profiles/bob", { status: 200, shows: true });
  if (who === "root") {
    await portal("/admin/support", { status: 200, shows: true });
    // Lists eve's accepted address "<script>…</script>"@example.com.
    await portal("/admin", { status: 200, shows: true });
  }
  if (who === "bob") await portal("/account/apikeys", { status: 200, shows: true });
  for (const name of [PAYLOADS[0], PAYLOADS[1]]) await portal(`/profiles/${encodeURIComponent(name)}`);
  for (const route of ["/users/account/ForgotPassword", "/users/account/Register", "/users/account/LogOn", "/users/account/TwoFactor"]) {
    await portal(`${route}?returnUrl=${encodeURIComponent(PAYLOADS[1])}`);
    await portal(`${route}?returnUrl=${encodeURIComponent("javascript:window.__xss=1")}`);
  }
  for (const route of ["/account/reset-password", "/account/confirm-email"]) {
    await portal(`${route}?token=${encodeURIComponent(PAYLOADS[1])}`);
  }
  // Error pages with the payload in the path.
  for (const p of [PAYLOADS[0], PAYLOADS[1], PAYLOADS[2]]) {
    const e = encodeURIComponent(p);
    await portal(`/${e}`);
    await portal(`/packages/${e}`);
    await portal(`/packages/${ID}/${e}`);
    await portal(`/packages/${ID}/1.0.0/${e}`);
    await portal(`/packages/${e}/owners`);
    await portal(`/packages/${e}/1.0.0/ReportAbuse`);
  }
}

const contentRoutes = () =>
  VERSIONS.flatMap((v) => {
    const lower = ID.toLowerCase();
    const ver = v.toLowerCase();
    return [
      `/v3/flatcontainer/${lower}/${ver}/${lower}.nuspec`,
      `/v3/flatcontainer/${lower}/${ver}/readme`,
      `/v3/flatcontainer/${lower}/${ver}/icon`,
      `/v3/flatcontainer/${lower}/${ver}/${lower}.${ver}.nupkg`,
      `/api/v2/package/${ID}/${v}`,
    ];
  });

/** Feed and API routes (hostile data inside, hostile input in paths and queries). */
async function feedRoutes() {
  const index = await (await fetch(`${t.server.base}/v3/index.json`)).json();
  const registrations = [...new Set(index.resources.filter((r) => r["@type"].startsWith("RegistrationsBaseUrl")).map((r) => r["@id"]))];
  const lower = ID.toLowerCase();
  const routes = [
    `/api/v2/Packages(Id='${ID}',Version='1.0.0')`,
    `/api/v2/FindPackagesById()?id='${ID}'`,
    `/api/v2/Search()?searchTerm='xss'&includePrerelease=true`,
    `/api/v2/Packages()?$filter=Id eq '${ID}'`,
    "/v3/query?q=xss&prerelease=true",
    `/v3/flatcontainer/${lower}/index.json`,
    `/api/packages/${ID}/owners`,
    ...registrations.map((r) => `${r}${lower}/index.json`),
  ];
  for (const p of [PAYLOADS[0], PAYLOADS[1]]) {
    const e = encodeURIComponent(p);
    const q = encodeURIComponent(`'${p}'`);
    routes.push(
      `/api/v2/Packages(Id=${q},Version='1.0.0')`,
      `/api/v2/FindPackagesById()?id=${q}`,
      `/api/v2/Search()?searchTerm=${q}&$filter=${e}&$orderby=${e}&$skip=${e}`,
      `/api/v2/Packages()?$filter=${e}`,
      `/api/v2/${e}`,
      `/api/v2/package/${e}/1.0.0`,
      `/api/v2/package/${ID}/${e}`,
      `/v3/query?q=${e}&skip=${e}&semVerLevel=${e}`,
      `/v3/autocomplete?q=${e}&id=${e}`,
      `/v3/flatcontainer/${e}/index.json`,
      `/v3/flatcontainer/${lower}/${e}/${e}`,
      `/v3/flatcontainer/${lower}/1.0.0/${e}`,
      `/api/packages/${e}/owners`,
      `/api/orgs/${e}`,
      `/api/account?x=${e}`,
      ...registrations.map((r) => `${r}${e}/index.json`),
    );
  }
  return routes;
}

/** A feed or API answer may be JSON, XML or text, never a document that runs anything. */
async function feed(route) {
  const got = await navigate(route);
  t.visited.feed++;
  const flag = await flagSet();
  expect(flag === null, `${route}: a payload ran (${flag})`);
  expect(t.dialogs.length === 0, `${route}: dialog opened`);
  if (got === "download") return;
  // An unknown path under /api may reach the portal's HTML 404 page: then it is a portal page.
  if ((await t.page.evaluate(() => document.contentType)) === "text/html") {
    await checkPortal(route);
    return;
  }
  const bad = await t.page.evaluate(unsafeMarkup);
  expect(bad.length === 0, `${route}: active markup ${bad.join(" ")}`);
}

async function putPackage(key, bytes) {
  const form = new FormData();
  form.append("package", new Blob([bytes]), "package.nupkg");
  const r = await fetch(`${t.server.base}/api/v2/package/`, { method: "PUT", body: form, headers: { "X-NuGet-ApiKey": key } });
  return { status: r.status, text: await r.text() };
}

async function uploadThroughPage(id, version) {
  await portal("/packages/manage/upload", { status: 200 });
  await t.page.locator("#f-package").setInputFiles({ name: `${id}.${version}.nupkg`, mimeType: "application/octet-stream", buffer: hostilePackage(id, version) });
  await Promise.all([t.page.waitForURL(/\/packages\/manage\/upload\/verify\?upload=/), t.page.getByRole("button", { name: "Upload" }).click()]);
  t.visited.portal++;
  await checkPortal(`upload verify ${id} ${version}`);
  expect((await t.page.locator("main").innerText()).includes("<script>window.__xss=1</script>"), "verify page shows the payload text");
  await Promise.all([t.page.waitForURL((u) => !u.pathname.endsWith("/verify")), t.page.getByRole("button", { name: "Cancel" }).click()]);
  await checkPortal(`upload cancelled ${id} ${version}`);
}

const cases = [
  {
    name: "setup: an admin and a plain user, hostile packages pushed over HTTP, a hostile key name and report",
    async run() {
      t.server = new GalleyServer(galleyBin);
      await t.server.start();
      t.server.cli(["user", "add", "root", "--admin", "--email", "root@example.com", "--password-stdin"], "root-password-1\n");
      t.server.cli(["user", "add", "bob", "--email", "bob@example.com", "--password-stdin"], "bob-password-1\n");
      const lastLine = (s) => s.trim().split("\n").pop();
      t.rootKey = lastLine(t.server.cli(["apikey", "create", "--user", "root", "--name", "root key"]));
      t.bobKey = lastLine(t.server.cli(["apikey", "create", "--user", "bob", "--name", PAYLOADS.slice(0, 3).join(" ")]));
      const pushes = [
        [t.rootKey, hostilePackage(ID, VERSIONS[0], "expression")],
        [t.rootKey, hostilePackage(ID, VERSIONS[1], "file")],
        [t.bobKey, hostilePackage("Xss.Bob", "1.0.0", "file")],
      ];
      for (const [key, bytes] of pushes) {
        const r = await putPackage(key, bytes);
        expect(r.status === 201, `push answered ${r.status}: ${r.text}`);
      }
      // A deprecation whose message carries the payloads (an alternate id or range carrying them is
      // refused), and an advisory whose URL does: the package page and the manage page show both.
      const deprecate = (body) =>
        fetch(`${t.server.base}/api/packages/${ID}/versions/1.0.0/deprecation`, {
          method: "PUT",
          headers: { "X-NuGet-ApiKey": t.rootKey, "Content-Type": "application/json" },
          body: JSON.stringify(body),
        });
      for (const alternatePackage of [{ id: PAYLOADS[0] }, { id: "Xss.Bob", range: PAYLOADS[1] }]) {
        const refused = await deprecate({ reasons: ["Other"], alternatePackage });
        expect(refused.status === 400, `hostile alternate ${JSON.stringify(alternatePackage)} answered ${refused.status}`);
      }
      const deprecated = await deprecate({ reasons: ["Legacy", "Other"], message: HOSTILE, alternatePackage: { id: "Xss.Bob", range: "[1.0.0, )" } });
      expect(deprecated.status === 204, `deprecation answered ${deprecated.status}: ${await deprecated.text()}`);
      t.server.cli(["advisory", "add", ID, "--range", "[1.0.0, 2.0.0)", "--severity", "high", "--url", `https://example.org/"><script>window.__xss=1</script>`]);

      const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "galley-chromium-"));
      t.userDataDir = userDataDir;
      t.context = await chromium.launchPersistentContext(userDataDir, {
        executablePath: chromiumBin,
        headless: true,
        args: CHROMIUM_ARGS,
        viewport: { width: 1280, height: 900 },
        acceptDownloads: true,
      });
      await t.context.route("**/*", (route) => {
        const url = route.request().url();
        if (url.startsWith(t.server.base)) return route.continue();
        t.external.push(url);
        return route.abort();
      });
      // Reported by the page itself too: console wording changes between Chromium versions.
      await t.context.addInitScript(() => {
        document.addEventListener("securitypolicyviolation", (e) => {
          console.log(`CSP-VIOLATION ${e.violatedDirective} ${e.blockedURI} ${e.sample}`);
        });
      });
      t.page = t.context.pages()[0] ?? (await t.context.newPage());
      t.page.on("dialog", (d) => {
        t.dialogs.push(`${d.type()}: ${d.message()}`);
        d.dismiss().catch(() => {});
      });
      t.page.on("console", (m) => {
        if (/CSP-VIOLATION|Content Security Policy|Refused to/i.test(m.text())) t.violations.push(m.text());
      });

      // Registrations with hostile names and addresses: refused ones re-render the form with what
      // was typed; an accepted one (a quoted local part is a valid address) reaches the admin page.
      for (const [username, email] of [
        [PAYLOADS[1], "eve@example.com"],
        ["eve", `"<script>window.__xss=1</script>"@example.com`],
        ["eve2", `"\"><img src=x onerror=window.__xss=1>"@example.com`],
        ["eve3", PAYLOADS[1]],
      ]) {
        await portal("/users/account/Register", { status: 200 });
        await t.page.locator("#f-username").fill(username);
        await t.page.locator("#f-email").fill(email);
        await t.page.locator("#f-password").fill("eve-password-1");
        await Promise.all([t.page.waitForLoadState("load"), t.page.locator("main button[type=submit]").click()]);
        await t.page.waitForLoadState("load");
        t.visited.portal++;
        await checkPortal(`register ${username} <${email}>`);
      }

      // A support request whose message carries the payloads, for the admin page.
      await signIn("bob", "bob-password-1");
      await portal(`/packages/${ID}/1.0.0/ReportAbuse`, { status: 200 });
      await t.page.locator("#f-message").fill(HOSTILE);
      await t.page.locator("main button[type=submit]").click();
      await t.page.locator("#filed").waitFor({ timeout: 5000 });
      await checkPortal("report filed");
    },
  },
  {
    name: "refused nuspecs (XHTML/SVG content, stylesheet PI, javascript:/data:/file: URLs) answer 400 and store nothing",
    async run() {
      for (const [id, extra, after = "", before = ""] of REFUSED) {
        const r = await putPackage(t.rootKey, refusedPackage(id, extra, after, before));
        expect(r.status === 400, `${id}: push answered ${r.status}: ${r.text}`);
        const stored = await fetch(`${t.server.base}/v3/flatcontainer/${id.toLowerCase()}/index.json`);
        expect(stored.status === 404, `${id}: stored anyway (${stored.status})`);
      }
    },
  },
  {
    name: "as admin: every portal page stays script-free and violation-free",
    async run() {
      await signIn("root", "root-password-1");
      // The admin invites bob, so the owners page lists a pending invitation too.
      await portal(`/packages/${ID}/owners`, { status: 200 });
      await t.page.locator("#f-username").fill(PAYLOADS[1]);
      await t.page.getByRole("button", { name: "Invite" }).click();
      await t.page.locator("#f-username-error").waitFor({ timeout: 5000 });
      await checkPortal("owners invite refused with a hostile name");
      await walkPortal("root");
    },
  },
  {
    name: "as admin: the upload verify page for a hostile package",
    async run() {
      await uploadThroughPage(ID, "3.0.0");
    },
  },
  {
    name: "as admin: every package-content route is served inert",
    async run() {
      t.cookieHeader = { cookie: (await t.context.cookies()).map((c) => `${c.name}=${c.value}`).join("; ") };
      for (const route of contentRoutes()) await content(route);
    },
  },
  {
    name: "as a plain user: every portal page and the upload verify page",
    async run() {
      await signIn("bob", "bob-password-1");
      await walkPortal("bob");
      await uploadThroughPage("Xss.Bob", "2.0.0");
    },
  },
  {
    name: "as a plain user: every package-content route is served inert",
    async run() {
      t.cookieHeader = { cookie: (await t.context.cookies()).map((c) => `${c.name}=${c.value}`).join("; ") };
      for (const route of contentRoutes()) await content(route);
    },
  },
  {
    name: "anonymous: every portal page and package-content route",
    async run() {
      await t.context.clearCookies();
      t.cookieHeader = null;
      await walkPortal("anonymous");
      for (const route of contentRoutes()) await content(route);
    },
  },
  {
    name: "feed and API routes (v2 Atom, v3 JSON) with hostile data and hostile input stay inert",
    async run() {
      for (const route of await feedRoutes()) await feed(route);
      await signIn("root", "root-password-1");
      for (const route of await feedRoutes()) await feed(route);
    },
  },
  {
    name: "sign-in with a hostile returnUrl ends on this site",
    async run() {
      const forms = ["/%09/evil.example", "/%09%2Fevil.example", "/%0A/evil.example", "%20//evil.example", "//evil.example", "/%5Cevil.example", "%09//evil.example", "https://evil.example/", "javascript:window.__xss=1", "/%2F%2Fevil.example", "%2F%09%2Fevil.example"];
      for (const returnUrl of forms) {
        await t.context.clearCookies();
        await portal(`/users/account/LogOn?returnUrl=${returnUrl}`, { status: 200 });
        await t.page.locator("#f-username").fill("bob");
        await t.page.locator("#f-password").fill("bob-password-1");
        await Promise.all([t.page.waitForURL((u) => !u.pathname.endsWith("/LogOn"), { timeout: 10000 }).catch(() => {}), t.page.locator("main button[type=submit]").click()]);
        await t.page.waitForLoadState("load");
        expect(new URL(t.page.url()).origin === t.server.base, `returnUrl=${returnUrl} ended at ${t.page.url()}`);
        await checkPortal(`after sign-in with returnUrl=${returnUrl}`);
      }
      // Already signed in, the sign-in page redirects at once: by the same rule.
      for (const returnUrl of forms) {
        await navigate(`/users/account/LogOn?returnUrl=${returnUrl}`);
        t.visited.portal++;
        expect(new URL(t.page.url()).origin === t.server.base, `signed in, returnUrl=${returnUrl} went to ${t.page.url()}`);
        await checkPortal(`signed in, returnUrl=${returnUrl}`);
      }
    },
  },
  {
    name: "upstream read-through: hits, the page of an upstream package, a mirrored package and the admin table stay inert",
    async run() {
      // A second Galley holds hostile packages; a third reads through from it, the upstream
      // itself named by a payload. The walk runs against the third, then the first comes back.
      const main = t.server;
      const upstream = new GalleyServer(galleyBin);
      const reader = new GalleyServer(galleyBin);
      try {
        await upstream.start();
        upstream.cli(["user", "add", "up", "--email", "up@example.com", "--password-stdin"], "up-password-1\n");
        const upKey = upstream.cli(["apikey", "create", "--user", "up", "--name", "up key"]).trim().split("\n").pop();
        await upstream.push(upKey, hostilePackage("Xss.Up", "1.0.0", "expression"));
        await upstream.push(upKey, hostilePackage("Xss.Mirrored", "1.0.0", "file"));
        fs.mkdirSync(reader.root, { recursive: true });
        fs.writeFileSync(
          path.join(reader.root, "galley.toml"),
          `[[upstream]]\nname = ${JSON.stringify(PAYLOADS[1])}\nurl = "${upstream.base}/v3/index.json"\nsearch = true\nmetadata_ttl_minutes = 0\n`,
        );
        await reader.start();
        reader.cli(["user", "add", "root", "--admin", "--email", "root@example.com", "--password-stdin"], "root-password-1\n");
        const fetched = await fetch(`${reader.base}/v3/flatcontainer/xss.mirrored/1.0.0/xss.mirrored.1.0.0.nupkg`);
        expect(fetched.status === 200, `read-through download answered ${fetched.status}`);
        t.server = reader;
        await t.context.clearCookies();
        for (const who of ["anonymous", "root"]) {
          if (who === "root") await signIn("root", "root-password-1");
          await portal("/packages?q=xss", { status: 200, shows: true });
          expect((await t.page.locator("main").innerText()).includes("Xss.Up"), "the upstream hit is not listed");
          await portal("/packages/Xss.Up", { status: 200 });
          await portal("/packages/Xss.Mirrored", { status: 200, shows: true });
          expect((await t.page.locator("main").innerText()).includes(`Mirrored from the upstream '${PAYLOADS[1]}'`), "the mirrored notice is not shown as text");
        }
        await portal("/admin", { status: 200 });
        expect((await t.page.locator("main").innerText()).includes(PAYLOADS[1]), "the admin page does not show the upstream's name as text");
      } finally {
        t.server = main;
        await t.context.clearCookies();
        await reader.stop();
        await upstream.stop();
      }
    },
  },
  {
    // Guards the guard: the same checks must notice a payload that does run.
    name: "the detector sees a script that runs and a dialog that opens",
    async run() {
      await navigate("about:blank");
      t.dialogs.length = 0;
      await t.page.setContent("<img src=x onerror=\"window.__xss=1\"><script>alert(1)</script>");
      await t.page.waitForFunction(() => window.__xss === 1, null, { timeout: 5000 });
      expect((await flagSet()) !== null, "flag not seen");
      expect(t.dialogs.length === 1, `dialogs: ${t.dialogs}`);
    },
  },
  {
    name: "no requests left this server",
    async run() {
      expect(t.external.length === 0, `external requests: ${t.external.join(", ")}`);
      const v = t.visited;
      console.log(`# visited ${v.portal} portal pages, ${v.content} package-content routes (${t.downloads} downloads), ${v.feed} feed/API routes`);
    },
  },
];

await runCases(cases, t);
