// End-to-end: Endring's pages in Debian's chromium, driven by playwright-core, with an
// axe-core accessibility check (WCAG 2.1 A and AA) of every page visited and a screenshot
// of each under tests/e2e/output/. Run by .ci/run; by hand:
//   ENDRING_BIN=/var/tmp/endring-target/debug/endring node tests/e2e/run.mjs
import { chromium } from "playwright-core";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createServer } from "node:net";
import { accounts } from "./accounts.mjs";
import { webhooks } from "./webhooks.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const bin = process.env.ENDRING_BIN ?? join(here, "../../target/debug/endring");
const browserPath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const output = join(here, "output");
rmSync(output, { recursive: true, force: true });
mkdirSync(output, { recursive: true });
const axeSource = readFileSync(join(here, "node_modules/axe-core/axe.min.js"), "utf8");

const results = { passed: 0, failed: 0 };
function check(name, ok, detail = "") {
  if (ok) {
    results.passed++;
    console.log(`ok   ${name}`);
  } else {
    results.failed++;
    console.log(`FAIL ${name} ${detail}`);
  }
}

async function freePort() {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// A fresh service on a fresh SQLite database; resolves with its address and admin password.
async function startService(dir, { port = undefined, toml = "", env: extra = {} } = {}) {
  port ??= await freePort();
  // The weekly meeting falls at least three days ahead, on a weekday after a weekday, so
  // its cut-off (noon the working day before) is still to come whenever the suite runs: a
  // change submitted now is on time for it, not late.
  const weekdays = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];
  let ahead = 3;
  const weekdayIn = (days) => new Date(Date.now() + days * 24 * 3600 * 1000).getUTCDay();
  while ([0, 6].includes(weekdayIn(ahead)) || [0, 6].includes(weekdayIn(ahead - 1))) ahead++;
  const config = join(dir, "endring.toml");
  writeFileSync(config, `[cab]\nmeeting_day = "${weekdays[weekdayIn(ahead)]}"\n${toml}`);
  const env = { ...process.env, DATABASE_URL: `sqlite://${join(dir, "e2e.db")}`, ENDRING_MAIL_DIR: join(dir, "mail"), ENDRING_CONFIG: config, RUST_LOG: "warn", ...extra };
  const child = spawn(bin, ["serve", "--bind", `127.0.0.1:${port}`], { env, stdio: ["ignore", "pipe", "inherit"] });
  let printed = "";
  const password = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${printed}`)), 30000);
    child.stdout.on("data", (chunk) => {
      printed += chunk;
      const found = printed.match(/password:\s+(\S+)/);
      if (found && printed.includes("listens on")) {
        clearTimeout(timer);
        resolve(found[1]);
      }
    });
    child.on("exit", (code) => reject(new Error(`serve exited with ${code}: ${printed}`)));
  });
  return { child, env, base: `http://127.0.0.1:${port}`, password };
}

function addUser(env, email, name, roles) {
  const args = ["user", "add", "--email", email, "--name", name, "--password", "e2e-password-123"];
  for (const role of roles) args.push("--role", role);
  execFileSync(bin, args, { env, stdio: "ignore" });
}

let shot = 0;
// Checks the page with axe (WCAG 2.1 A and AA) and saves a screenshot. The browser runs
// with the pages' real Content-Security-Policy (no bypass): axe is evaluated through the
// DevTools protocol, which the policy does not govern, so the pages themselves still run
// no script, and any resource the policy blocks is reported through `newPage`.
async function audit(page, label) {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] });
    return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  });
  check(`axe: ${label}`, violations.length === 0, violations.join(" | "));
  const text = await page.textContent("body");
  check(`every word found in the locale files: ${label}`, !text.includes("Unknown localization key"), text.match(/Unknown localization key[^\n]*/)?.[0]);
  shot++;
  await page.screenshot({ path: join(output, `${String(shot).padStart(2, "0")}-${label.replace(/[^a-z0-9]+/gi, "-")}.png`), fullPage: true });
}

// Every message the browser logs about a Content-Security-Policy violation.
const cspViolations = [];
async function newPage(browser) {
  const page = await (await browser.newContext({ locale: "en-GB" })).newPage();
  page.on("console", (message) => {
    if (/Content.Security.Policy/i.test(message.text())) cspViolations.push(`${page.url()}: ${message.text()}`);
  });
  return page;
}

async function signIn(browser, base, email) {
  const page = await newPage(browser);
  await page.goto(`${base}/sign-in`);
  await page.fill("#email", email);
  await page.fill("#password", "e2e-password-123");
  await page.click("form.sign-in button[type=submit]");
  await page.waitForURL(`${base}/`);
  return page;
}

const dir = mkdtempSync(join(tmpdir(), "endring-e2e-"));
const service = await startService(dir, { env: { ENDRING_WEBHOOK_HTTP_HOSTS: "127.0.0.1" } });
const browser = await chromium.launch({
  executablePath: browserPath,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
try {
  const { base, env } = service;
  addUser(env, "rita@e2e.no", "Rita Requester", ["cab_member"]);
  addUser(env, "ivar@e2e.no", "Ivar Implementer", ["implementer"]);
  addUser(env, "kari@e2e.no", "Kari Change Manager", ["change_manager"]);
  addUser(env, "cab1@e2e.no", "Cato CAB", ["cab_member"]);
  addUser(env, "cab2@e2e.no", "Cecilie CAB", ["cab_member"]);
  addUser(env, "nora@e2e.no", "Nora Manager", ["manager"]);
  addUser(env, "sigrid@e2e.no", "Sigrid Service Desk", ["service_desk"]);
  const admin = await (await fetch(`${base}/api/v1/auth/token`, {
    method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "admin@localhost.localdomain", password: service.password }),
  })).json();
  await fetch(`${base}/api/v1/cis`, {
    method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${admin.token}` },
    body: JSON.stringify({ name: "Sak- og arkivsystem", kind: "application", criticality: 3, owner_email: "arkiv@e2e.no" }),
  });

  // The administrator adds a user and a configuration item in the browser, finding the
  // admin pages through the navigation as a person would.
  const adminPage = await newPage(browser);
  await adminPage.goto(`${base}/sign-in`);
  await adminPage.fill("#email", "admin@localhost.localdomain");
  await adminPage.fill("#password", service.password);
  await adminPage.click("form.sign-in button[type=submit]");
  await adminPage.waitForURL(`${base}/`);
  await adminPage.click("header.site nav a[href='/admin']");
  await adminPage.waitForURL(`${base}/admin`);
  await audit(adminPage, "admin index");
  await adminPage.click("main a[href='/admin/users']");
  await adminPage.waitForURL(`${base}/admin/users`);
  await adminPage.fill("#email", "pia@e2e.no");
  await adminPage.fill("#name", "Pia Implementer");
  await adminPage.fill("#password", "e2e-password-123");
  await adminPage.check("#roles-implementer");
  await adminPage.click("form.admin button[type=submit]");
  await adminPage.waitForURL(`${base}/admin/users`);
  check("the admin adds a user with a role", (await adminPage.textContent("main")).includes("pia@e2e.no"));
  await audit(adminPage, "admin users");
  for (const section of ["cis", "templates", "blackouts", "maintenance", "calendar", "cab", "notices"]) {
    await adminPage.click("main a[href='/admin']");
    await adminPage.waitForURL(`${base}/admin`);
    await adminPage.click(`main a[href='/admin/${section}']`);
    await adminPage.waitForURL(`${base}/admin/${section}`);
    await audit(adminPage, `admin ${section}`);
  }
  // The admin corrects a CI in place: its row's Edit opens the form filled in.
  await adminPage.goto(`${base}/admin/cis`);
  await adminPage.click("main table a:text('Edit')");
  check("Edit opens the CI's own form, filled in", (await adminPage.inputValue("#name")) === "Sak- og arkivsystem");
  await audit(adminPage, "admin edit ci");
  await adminPage.fill("#kind", "application (Noark 5)");
  await adminPage.click("form.admin button[type=submit]");
  await adminPage.waitForURL(`${base}/admin/cis`);
  check("the edited CI is saved", (await adminPage.textContent("main table")).includes("application (Noark 5)"));

  const headers = (await fetch(`${base}/sign-in`)).headers;
  check("pages forbid scripts and framing", (headers.get("content-security-policy") ?? "").includes("default-src 'none'") && headers.get("x-frame-options") === "DENY");

  // The sign-in page, before anyone is signed in.
  const anonymous = await newPage(browser);
  await anonymous.goto(`${base}/sign-in`);
  await audit(anonymous, "sign-in");

  // Keyboard only: skip link first, then the form, Enter to sign in.
  const keyboard = await newPage(browser);
  await keyboard.goto(`${base}/sign-in`);
  await keyboard.keyboard.press("Tab");
  check("the skip link is the first stop", (await keyboard.evaluate(() => document.activeElement.className)) === "skip");
  await keyboard.keyboard.press("Tab");
  await keyboard.keyboard.press("Tab");
  await keyboard.keyboard.type("ivar@e2e.no");
  await keyboard.keyboard.press("Tab");
  await keyboard.keyboard.type("e2e-password-123");
  await keyboard.keyboard.press("Enter");
  await keyboard.waitForURL(`${base}/`);
  check("signing in works by keyboard alone", keyboard.url() === `${base}/`);
  await keyboard.keyboard.press("Tab");
  await keyboard.keyboard.press("Enter");
  check("the skip link moves focus to the content", (await keyboard.evaluate(() => document.activeElement.id)) === "main");

  // A requester files a change and submits it.
  const rita = await signIn(browser, base, "rita@e2e.no");
  await audit(rita, "home requester");
  await rita.goto(`${base}/changes/new`);
  await audit(rita, "new change form");
  await rita.fill("#description", "Typed before the refusal");
  await rita.click("form.change button[type=submit]");
  check("an empty form is refused with field errors", (await rita.locator(".errors").count()) === 1);
  check("the error summary receives focus", await rita.evaluate(() => document.activeElement?.classList.contains("errors") === true));
  check("what was typed is kept after a refusal", (await rita.inputValue("#description")) === "Typed before the refusal");
  await audit(rita, "new change with errors");
  // A window two days ago: the change can be carried out as soon as it is approved.
  const start = new Date(Date.now() - 2 * 24 * 3600 * 1000);
  const day = start.toISOString().slice(0, 10);
  await rita.fill("#title", "Upgrade the archive system");
  await rita.fill("#description", "Minor version upgrade");
  await rita.check("text=Sak- og arkivsystem");
  await rita.fill("#planned_start", `${day}T18:00`);
  await rita.fill("#planned_end", `${day}T20:00`);
  await rita.selectOption("#implementer_id", { label: "Ivar Implementer" });
  await rita.fill("#implementation_plan", "Run the installer");
  await rita.fill("#backout_plan", "Restore the snapshot");
  await rita.fill("#test_plan", "Open a case");
  for (const [question, answer] of [["users_affected", "under_500"], ["tested", "partly"], ["backout", "yes"], ["complexity", "medium"], ["downtime", "none"]]) {
    await rita.check(`#answers-${question}-${answer}`);
  }
  await rita.click("form.change button[type=submit]");
  await rita.waitForURL(/\/changes\/CHG-\d+$/);
  const changeUrl = rita.url();
  check("the saved change shows its risk", (await rita.textContent("main")).includes("Medium risk"));
  await audit(rita, "change draft");
  // The facts come first; the likely next step (submit) is the one open in the side column.
  check("the change page leads with its key facts", (await rita.locator("main h2").first().getAttribute("id")) === "key-facts");
  await rita.click("form[action$='/submit'] button[type=submit]");
  await rita.waitForURL(changeUrl);
  check("submitted changes go to assessment", (await rita.textContent(".summary")).includes("Assessment"));
  check("the page says what happened and what happens next", (await rita.textContent(".done")).includes("is submitted. A change manager will assess it; you will get an email."), await rita.textContent("main"));
  await audit(rita, "change submitted with confirmation");
  await rita.reload();
  check("a reload neither re-posts nor repeats the confirmation", (await rita.locator(".done").count()) === 0 && (await rita.textContent(".summary")).includes("Assessment"));

  // The requester attaches a test report and downloads it again.
  await rita.setInputFiles("#attachment-file", { name: "Testrapport.txt", mimeType: "text/plain", buffer: Buffer.from("All 42 checks passed.\n") });
  await rita.click("form.attach button[type=submit]");
  await rita.waitForURL(`${changeUrl}#attachments`);
  check("an upload is confirmed and listed", (await rita.textContent(".done")).includes("Testrapport.txt is attached") && (await rita.locator("table.attachments a", { hasText: "Testrapport.txt" }).count()) === 1);
  await audit(rita, "change with attachment");
  const [download] = await Promise.all([rita.waitForEvent("download"), rita.click("table.attachments a")]);
  const downloaded = readFileSync(await download.path(), "utf8");
  check("the attachment downloads as uploaded", download.suggestedFilename() === "Testrapport.txt" && downloaded === "All 42 checks passed.\n", `${download.suggestedFilename()}: ${downloaded}`);

  // The change manager sends it to the CAB.
  const kari = await signIn(browser, base, "kari@e2e.no");
  await audit(kari, "home change manager");
  await kari.goto(changeUrl);
  await kari.click("form[action$='/assess'] button[type=submit]");
  await kari.waitForURL(changeUrl);
  check("assessed changes await the CAB", (await kari.textContent(".summary")).includes("Awaiting CAB"));
  check("the assessment is confirmed with what happens next", (await kari.textContent(".done")).includes("is assessed and sent to the CAB. The CAB votes on it"), await kari.textContent(".done"));

  // The next CAB meeting leads the queue; its agenda lists the change for decision.
  await kari.goto(`${base}/cab`);
  await kari.click("section.next-meeting a[href^='/cab/meetings/']");
  await kari.waitForURL(/\/cab\/meetings\/\d+$/);
  check("the next meeting's agenda lists the change for decision", (await kari.textContent("#agenda-for_decision + table")).includes(changeUrl.split("/").pop()));
  await audit(kari, "cab meeting agenda");
  await kari.emulateMedia({ media: "print" });
  await kari.screenshot({ path: join(output, "agenda-print.png"), fullPage: true });
  // The printed agenda (A4 PDF from chromium) holds every item of the agenda.
  const onAgenda = await kari.$$eval("main table a[href^='/changes/']", (links) => links.map((a) => a.textContent.trim()));
  const pdfPath = join(output, "agenda.pdf");
  await kari.pdf({ path: pdfPath, format: "A4", printBackground: false });
  const printed = execFileSync("pdftotext", ["-layout", pdfPath, "-"], { encoding: "utf8" });
  check("the printed agenda holds every item", onAgenda.length > 0 && onAgenda.every((ref) => printed.includes(ref)), `${onAgenda} / ${printed.slice(0, 300)}`);
  check("the printed agenda leaves out the navigation", !printed.includes("Sign out"), printed.slice(0, 300));
  await kari.emulateMedia({ media: "screen" });
  // The chair opens the meeting with who attends; each item gets a decision form.
  const meetingUrl = kari.url();
  await kari.getByLabel("Cato CAB").check();
  await kari.getByLabel("Cecilie CAB").check();
  await kari.click("text=Open the meeting");
  await kari.waitForURL(meetingUrl);
  check("an open meeting offers a decision per item", (await kari.locator("form.decision").count()) === 1 && (await kari.textContent("main")).includes("Cecilie CAB"));
  await audit(kari, "cab meeting open");
  // Rejecting needs the CAB's reason; deferring records the decision in the minutes.
  await kari.click("form.decision button[value=reject]");
  await kari.waitForLoadState();
  check("a rejection in the meeting without a reason is refused", (await kari.textContent("main")).includes("say why"), (await kari.textContent("main")).slice(0, 300));
  await kari.goto(meetingUrl);
  await kari.fill("form.decision textarea", "Waiting for the supplier's date");
  await kari.click("form.decision button[value=defer]");
  await kari.waitForURL(meetingUrl);
  check("the deferral is in the minutes", (await kari.textContent("main")).includes("Defer to the next meeting"));
  await kari.click("text=Close the meeting");
  await kari.waitForURL(meetingUrl);
  check("a closed meeting says so", (await kari.textContent("dl.facts")).includes("Closed"));

  // The requester is a CAB member too, but sees no vote buttons on her own change.
  await rita.goto(changeUrl);
  check("a requester cannot vote on her own change", (await rita.locator("button[value=approve]").count()) === 0);

  // Cato is away: on his profile page he names Cecilie his delegate for today.
  const cato = await signIn(browser, base, "cab1@e2e.no");
  await cato.goto(`${base}/cab`);
  await audit(cato, "cab queue");
  // Enter in the comment never votes.
  await cato.fill("form.vote textarea", "Needs a look at the backout plan");
  await cato.press("form.vote textarea", "Enter");
  await cato.waitForTimeout(300);
  check("Enter in a vote comment records no vote", cato.url() === `${base}/cab` && (await cato.locator("form.vote").count()) === 1);
  await cato.goto(`${base}/profile`);
  const today = new Intl.DateTimeFormat("sv-SE", { timeZone: "Europe/Oslo" }).format(new Date());
  await cato.selectOption("#delegate", { label: "Cecilie CAB" });
  await cato.fill("#from", today);
  await cato.fill("#until", today);
  await cato.click("form[action='/profile/delegations'] button[type=submit]");
  await cato.waitForURL(/\/profile/);
  check("the member names a delegate on his profile page", (await cato.textContent("#delegation ~ table")).includes("Cecilie CAB"));
  await audit(cato, "profile delegation");

  // Cecilie votes for Cato, then herself: two approvals.
  const cecilie = await signIn(browser, base, "cab2@e2e.no");
  await cecilie.goto(`${base}/cab`);
  check("the queue offers to vote for the absent member", (await cecilie.locator("form.vote select[name=on_behalf_of] option").count()) === 2);
  await audit(cecilie, "cab queue as delegate");
  await cecilie.selectOption("form.vote select[name=on_behalf_of]", { label: "Cato CAB (as their delegate)" });
  await cecilie.click("form.vote button[value=approve]");
  await cecilie.waitForURL(`${base}/cab`);
  check("after a vote the member is back in the queue with a confirmation naming whom it was for", (await cecilie.textContent(".done")).includes("You approved CHG-000001 for Cato CAB."));
  check("the queue says the vote cast for the absent member, and when", (await cecilie.textContent(".your-vote")).includes("You approved for Cato CAB"));
  await audit(cecilie, "cab queue after vote");
  await cecilie.click("form.vote button[value=approve]");
  await cecilie.waitForURL(`${base}/cab`);
  await cecilie.goto(changeUrl);
  check("the change page says who voted for whom", (await cecilie.textContent("main")).includes("Cecilie CAB for Cato CAB"));
  await kari.goto(changeUrl);
  check("two approvals schedule a medium-risk change", (await kari.textContent(".summary")).includes("Scheduled"));
  await audit(kari, "change scheduled");
  // The list finds the change by its number alone.
  const number = changeUrl.match(/CHG-0*(\d+)$/)[1];
  await kari.goto(`${base}/changes?q=${number}`);
  check("the change list finds a change by its number", (await kari.locator(`table.changes a[href$='/changes/CHG-${number.padStart(6, "0")}']`).count()) === 1);
  // A word of its description, typed into the search with a filter, by keyboard; the
  // filters stay in the URL and the table sorts by a column's header.
  await kari.goto(`${base}/changes`);
  await kari.fill("#q", "minor versi");
  await kari.selectOption("#risk", "medium");
  await kari.press("#q", "Enter");
  await kari.waitForURL(/q=minor\+versi/);
  check("the change list finds a change by a word of its description", (await kari.locator("table.changes tbody tr").count()) === 1 && kari.url().includes("risk=medium"), kari.url());
  await kari.click("th a:text('Planned start')");
  check("a column's header sorts the list and keeps the filters", kari.url().includes("sort=start-early") && kari.url().includes("risk=medium") && (await kari.getAttribute("th[aria-sort]", "aria-sort")) === "ascending", kari.url());
  await audit(kari, "change list filtered");

  // The manager finds it on the calendar, in the month, week and list views.
  const nora = await signIn(browser, base, "nora@e2e.no");
  await audit(nora, "home manager");
  const reference = changeUrl.split("/").pop();
  for (const view of ["month", "week", "list"]) {
    await nora.goto(`${base}/calendar?view=${view}&date=${day}`);
    check(`the manager finds the change in the ${view} view`, (await nora.locator(`a[href="/changes/${reference}"]`).count()) >= 1);
    await audit(nora, `calendar ${view}`);
  }
  await nora.click(`a[href="/changes/${reference}"] >> nth=0`);
  check("calendar entries link to their change", nora.url() === changeUrl);

  // The service desk's page (every signed-in user): a search by a system's name. The
  // change's window has passed, so nothing is changing now.
  await nora.click("header.site nav a[href='/desk']");
  await nora.fill("#q", "arkiv");
  await nora.press("#q", "Enter");
  await nora.waitForURL(/\/desk\?q=arkiv/);
  check("the service desk's page searches by a system's name", (await nora.textContent("main")).includes("Nothing is being changed now or in the next 48 hours"), await nora.textContent("main"));
  await audit(nora, "service desk");

  // The service desk publishes a disruption from its page, with the keyboard: the form
  // is folded until opened, and Enter in the text adds a line, it does not post.
  const sigrid = await signIn(browser, base, "sigrid@e2e.no");
  check("the service desk's home leads with the desk's view", (await sigrid.textContent("main h2")).length > 0);
  await sigrid.goto(`${base}/desk`);
  await sigrid.click("details:has(form[action='/messages']) > summary");
  await sigrid.fill("#title_nb", "Treg innlogging på e-post");
  await sigrid.fill("#body_nb", "Mange opplever treg innlogging.");
  await sigrid.press("#body_nb", "Enter");
  check("Enter in a message's text does not publish it", sigrid.url() === `${base}/desk`);
  await sigrid.fill("#title_en", "Slow e-mail sign-in");
  await sigrid.fill("#body_en", "Many see slow sign-in.");
  await sigrid.focus("form[action='/messages'] button[type=submit]");
  await sigrid.keyboard.press("Enter");
  await sigrid.waitForURL(/\/desk#message-\d+/);
  check("the desk confirms the published message", (await sigrid.textContent(".done")).includes("Slow e-mail sign-in"), await sigrid.textContent("main"));
  await audit(sigrid, "service desk with a message");

  // Anyone reads it, without signing in, in either language; the page announces its feed.
  const reader = await newPage(browser);
  await reader.goto(`${base}/messages`);
  check("the messages page needs no sign-in", reader.url() === `${base}/messages` && (await reader.textContent("main")).includes("Slow e-mail sign-in"));
  check("the messages page links its Atom feed for feed readers", (await reader.locator("link[rel=alternate][type='application/atom+xml']").count()) === 1);
  await audit(reader, "system messages");
  await reader.click("a[lang=nb]");
  check("the messages page in Norwegian", (await reader.textContent("main")).includes("Treg innlogging på e-post") && (await reader.getAttribute("html", "lang")) === "nb");
  await audit(reader, "system messages in Norwegian");
  const feed = await reader.request.get(`${base}/messages.atom`);
  check("the Atom feed is served as Atom", feed.ok() && feed.headers()["content-type"].startsWith("application/atom+xml") && (await feed.text()).includes("<entry>"));

  // The manager reads the figures and exports the period's changes.
  await nora.goto(`${base}/reports`);
  check("the reports draw their charts", (await nora.locator("svg.chart").count()) === 3);
  await audit(nora, "reports");
  // As the browser asks for it: in the page's language (the request context sends none).
  const csv = await nora.request.get(`${base}${await nora.getAttribute("a[download]", "href")}`, { headers: { "accept-language": "en-GB" } });
  const text = await csv.text();
  check("the CSV export for Excel lists the change in the reader's words", csv.ok() && text.startsWith("\uFEFFReference,Title") && text.includes(reference) && text.includes("Scheduled"), text.slice(0, 200));
  const plain = await (await nora.request.get(`${base}${await nora.getAttribute("a[download] >> nth=1", "href")}`)).text();
  check("the plain CSV export is for programs", plain.startsWith("ref,title") && plain.includes(",scheduled,"), plain.slice(0, 200));

  // The implementer carries it out; the change manager closes it with the review.
  const ivar = await signIn(browser, base, "ivar@e2e.no");
  await audit(ivar, "home implementer");
  await ivar.goto(changeUrl);
  await ivar.click("form[action$='/start'] button[type=submit]");
  await ivar.waitForURL(changeUrl);
  check("the implementer starts the change", (await ivar.textContent(".summary")).includes("In implementation"));
  check("the start is confirmed with what happens next", (await ivar.textContent(".done")).includes("has started. Complete it with the result"), await ivar.textContent(".done"));
  await ivar.selectOption("#closure_code", "successful");
  await ivar.click("form[action$='/complete'] button[type=submit]");
  await ivar.waitForURL(changeUrl);
  check("completing sends it to review", (await ivar.textContent(".summary")).includes("In review"));
  check("completion is confirmed with what happens next", (await ivar.textContent(".done")).includes("A change manager will review it"), await ivar.textContent(".done"));
  await kari.goto(changeUrl);
  await kari.fill("#review-review", "Went as planned; no incidents.");
  await kari.click("form[action$='/review'] button[type=submit]");
  await kari.waitForURL(changeUrl);
  check("the review closes the change", (await kari.textContent(".summary")).includes("Closed"));
  check("the review is confirmed", (await kari.textContent(".done")).includes("is reviewed and closed. Nothing more is needed."), await kari.textContent(".done"));
  check("the timeline tells the whole story", (await kari.textContent("ol.timeline")).includes("Reviewed and closed"));
  await audit(kari, "change closed");

  // The requester copies the closed change into a new draft, then withdraws it.
  await rita.goto(changeUrl);
  await rita.click("form[action$='/copy'] button[type=submit]");
  await rita.waitForURL(/\/changes\/CHG-\d+\/edit$/);
  check("a copy is a new draft, opened to edit, confirmed", (await rita.textContent(".done")).includes("is a new draft copied from"), await rita.textContent(".done"));
  const copyUrl = rita.url().replace(/\/edit$/, "");
  await rita.goto(copyUrl);
  await rita.click("details.action:has(form[action$='/cancel']) > summary");
  await rita.fill("#cancel-reason", "Not needed after all");
  await rita.click("form[action$='/cancel'] button[type=submit]");
  await rita.waitForURL(copyUrl);
  check("withdrawing is confirmed with what happens next", (await rita.textContent(".done")).includes("is withdrawn. It will not be carried out"), await rita.textContent(".done"));

  // The language switch turns the pages Norwegian.
  await kari.click("header.site .account button[lang=nb]");
  await kari.waitForLoadState();
  check("the language switch works", (await kari.getAttribute("html", "lang")) === "nb" && (await kari.textContent("nav")).includes("Endringer"));
  await audit(kari, "change in Norwegian");
  await webhooks({ check, audit, main: { base, adminPage } });

  // History from iTop, imported on the command line while the service runs, read on the
  // change page in both languages.
  const exported = join(dir, "itop-changes.csv");
  writeFileSync(exported, Buffer.from("Ref;Title;Status;Start date;End date;Caller->Full name;Agent->Full name;close_date\n" +
    "C-000812;Oppgradere L\xf8nnssystem;closed;2025-03-01 18:00:00;2025-03-01 20:00:00;Kari Change Manager;Tidligere Konsulent;2025-03-04 09:00:00\n", "latin1"));
  const imported = execFileSync(bin, ["import", "changes", exported], { env, encoding: "utf8" });
  check("the command line imports the iTop export and says so", imported.includes("Imported 1 changes of 1 rows (itop export"), imported);
  await adminPage.goto(`${base}/changes?q=Lønnssystem`);
  await adminPage.click("table tr:has-text('Oppgradere Lønnssystem') a >> nth=0");
  check("the imported change says where it came from", (await adminPage.textContent("main")).includes("iTop C-000812 (there: closed)"), await adminPage.textContent("main"));
  await audit(adminPage, "imported change");
  await adminPage.click("header.site .account button[lang=nb]");
  await adminPage.waitForLoadState();
  check("and in Norwegian", (await adminPage.textContent("main")).includes("Importert fra"));
  await audit(adminPage, "imported change in Norwegian");
  await adminPage.click("header.site .account button[lang=en]");
  await adminPage.waitForLoadState();
  await accounts({ browser, check, audit, newPage, startService, freePort, dir, main: { base, adminPage } });
  check("no page broke its own Content-Security-Policy", cspViolations.length === 0, cspViolations.join(" | "));
} catch (error) {
  check("the scenario ran to its end", false, String(error?.stack ?? error));
} finally {
  await browser.close();
  service.child.kill();
  rmSync(dir, { recursive: true, force: true });
}
console.log(`e2e: ${results.passed} passed, ${results.failed} failed`);
process.exit(results.failed === 0 ? 0 : 1);
