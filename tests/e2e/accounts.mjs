// The account pages in chromium: signing in with the identity provider (the loopback
// provider of tests/oidc, a real OpenID Connect implementation), the sessions on the
// profile page, signing out there too; a forgotten password reset by the emailed link;
// an admin deactivating a user. Called by run.mjs with its helpers.
import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

// Starts the test provider; resolves with its issuer and the child (stdin kept open: the
// provider exits when it closes).
async function startProvider() {
  const child = spawn(process.execPath, [join(here, "../oidc/provider.mjs")], { stdio: ["pipe", "pipe", "ignore"] });
  const line = await new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once("line", resolve);
    child.once("exit", (code) => reject(new Error(`the provider exited with ${code}`)));
  });
  return { child, issuer: JSON.parse(line).issuer };
}

async function json(url, method, body) {
  const response = await fetch(url, { method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return response.status === 204 ? null : response.json();
}

// The reset link in the newest email to `email` in `folder`, waiting for the mail worker.
async function resetLink(folder, email) {
  for (let i = 0; i < 40; i++) {
    let files = [];
    try { files = readdirSync(folder); } catch { /* not made yet */ }
    for (const file of files) {
      const text = readFileSync(join(folder, file), "utf8").replace(/=\r?\n/g, "").replace(/=3D/g, "=");
      const found = text.includes(`To: ${email}`) && text.match(/\/sign-in\/reset\/[0-9a-f]{64}/);
      if (found) return found[0];
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`no reset email to ${email}`);
}

export async function accounts({ browser, check, audit, newPage, startService, freePort, dir, main }) {
  // A forgotten password, on the first service (local passwords).
  const asker = await newPage(browser);
  await asker.goto(`${main.base}/sign-in`);
  await asker.click("a[href='/sign-in/forgot']");
  await audit(asker, "forgot password");
  await asker.fill("#email", "ivar@e2e.no");
  await asker.press("#email", "Enter");
  await asker.waitForSelector("p.notice");
  check("asking for a reset link answers the same for anyone", (await asker.textContent("p.notice")).includes("If that address belongs"));
  const link = await resetLink(join(dir, "mail"), "ivar@e2e.no");
  await asker.goto(`${main.base}${link}`);
  await audit(asker, "choose a new password");
  await asker.fill("#new_password", "a new e2e password 2026");
  await asker.fill("#confirm_password", "a new e2e password 2026");
  await asker.press("#confirm_password", "Enter");
  await asker.waitForURL(`${main.base}/sign-in?done=password`);
  check("the sign-in page says the new password is set", (await asker.textContent("p.notice")).includes("new password is set"));
  await asker.fill("#email", "ivar@e2e.no");
  await asker.fill("#password", "a new e2e password 2026");
  await asker.click("form.sign-in button[type=submit]");
  await asker.waitForURL(`${main.base}/`);
  check("the new password signs in", (await asker.textContent("header.site")).includes("Ivar"));
  await asker.goto(`${main.base}${link}`);
  check("the link works once", (await asker.textContent("main")).includes("has been used or has expired"));
  await audit(asker, "spent reset link");

  // The identity provider, and a second service that signs in with it.
  const provider = await startProvider();
  try {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const client = await json(`${provider.issuer}/reg`, "POST", {
      redirect_uris: [`${base}/sign-in/oidc/callback`], post_logout_redirect_uris: [`${base}/sign-in`],
      grant_types: ["authorization_code"], response_types: ["code"], token_endpoint_auth_method: "client_secret_basic",
    });
    await json(`${provider.issuer}/__test/accounts/kari`, "PUT", { email: "kari.nordmann@kommune.no", name: "Kari Nordmann", groups: ["grp-cab", "grp-change-managers"] });
    const oidcDir = join(dir, "oidc");
    mkdirSync(oidcDir, { recursive: true });
    const toml = `[oidc_roles]\ncab_member = ["grp-cab"]\nchange_manager = ["grp-change-managers"]\n`;
    const service = await startService(oidcDir, {
      port, toml,
      env: {
        ENDRING_BASE_URL: base, ENDRING_OIDC_ISSUER: provider.issuer, ENDRING_OIDC_CLIENT_ID: client.client_id,
        ENDRING_OIDC_CLIENT_SECRET: client.client_secret, ENDRING_OIDC_DISPLAY_NAME: "Kommune-ID",
        ENDRING_OIDC_SCOPES: "email profile groups", ENDRING_OIDC_ALLOWED_DOMAINS: "kommune.no",
      },
    });
    try {
      const page = await newPage(browser);
      await page.goto(`${base}/sign-in`);
      const first = await page.locator("main a.button, main button").first().textContent();
      check("the sign-in page offers the provider first", first.includes("Sign in with Kommune-ID"), first);
      await audit(page, "sign in with the provider");
      await page.click("a[lang=nb]");
      check("the provider's button in Norwegian", (await page.textContent("main")).includes("Logg inn med Kommune-ID"));
      await audit(page, "sign in with the provider in Norwegian");
      await page.click("main a.button");
      await page.waitForURL(new RegExp(`^${provider.issuer}/interaction/`));
      await page.fill("input[name=login]", "kari");
      await page.press("input[name=login]", "Enter");
      await page.waitForURL(`${base}/`);
      check("signed in with no Endring password, named as the provider says", (await page.textContent("header.site")).includes("Kari Nordmann"));
      check("the groups gave the CAB and change manager's pages", (await page.locator("header.site nav a[href='/cab']").count()) === 1);
      await page.goto(`${base}/profile#sessions`);
      check("the profile lists this session, made by the provider", (await page.textContent("#sessions + p + table")).includes("Identitetstjeneste"));
      await audit(page, "profile sessions in Norwegian");
      await page.click("header.site .account button[lang=en]");
      await page.waitForLoadState();
      await page.goto(`${base}/profile#sessions`);
      await audit(page, "profile sessions");
      // A pipeline's token, made on the profile page and shown once.
      await page.click("details:has(form[action='/profile/tokens']) > summary");
      await page.fill("form[action='/profile/tokens'] #token_name", "deploy pipeline");
      await page.check("#scopes-gate");
      await page.click("form[action='/profile/tokens'] button[type=submit]");
      await page.waitForSelector("#tokens ~ div.notice code");
      const secret = await page.textContent("#tokens ~ div.notice code");
      check("the new token is shown once, with its scope listed", /^[0-9a-f]{64}$/.test(secret) && (await page.textContent("#tokens ~ table")).includes("deployment gate"), secret);
      await audit(page, "profile with a new API token");
      const gate = await fetch(`${base}/api/v1/auth/tokens`, { headers: { authorization: `Bearer ${secret}` } });
      check("a gate token may not list tokens (its scope is the gate)", gate.status === 403, String(gate.status));
      await page.click("header.site form[action='/sign-out'] button");
      await page.waitForURL(`${base}/sign-in`, { timeout: 10000 }).catch(async () => {
        throw new Error(`after signing out: ${page.url()}: ${(await page.content()).slice(0, 1500)}`);
      });
      check("signing out ends the provider's session and comes back", page.url() === `${base}/sign-in`);
      await page.click("main a.button");
      await page.waitForURL(new RegExp(`^${provider.issuer}/interaction/`));
      check("the next sign-in asks the provider again", (await page.locator("input[name=login]").count()) === 1);
    } finally {
      service.child.kill();
    }
  } finally {
    provider.child.kill();
  }

  // The admin deactivates a user: out at once.
  const rita = await newPage(browser);
  await rita.goto(`${main.base}/sign-in`);
  await rita.fill("#email", "rita@e2e.no");
  await rita.fill("#password", "e2e-password-123");
  await rita.click("form.sign-in button[type=submit]");
  await rita.waitForURL(`${main.base}/`);
  const admin = main.adminPage;
  await admin.goto(`${main.base}/admin/users?q=rita`);
  await audit(admin, "admin users with account actions");
  await admin.click("form[action$='/deactivate'] button");
  await admin.waitForURL(`${main.base}/admin/users`);
  check("the admin page says she is deactivated", (await admin.textContent("main")).includes("rita@e2e.no is deactivated"));
  await rita.reload();
  check("her open page is signed out at the next request", rita.url().startsWith(`${main.base}/sign-in`));
  writeFileSync(join(dir, "accounts-done"), "");
}
