// A throwaway OpenID Connect provider for Endring's tests, built on the certified
// `oidc-provider` package, listening on 127.0.0.1 only. Everything (clients, accounts,
// sessions, codes) lives in memory and dies with the process. See README.md beside this file.
//
//   OIDC_PORT=0 node tests/oidc/provider.mjs   ->  stdout: {"issuer":"http://127.0.0.1:PORT"}
import { createServer } from "node:http";
import { fstatSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { SignJWT, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair } from "jose";
import Provider from "oidc-provider";

// stdout carries exactly one line, the issuer, for the spawning test to read; oidc-provider
// prints its notices with console.info (stdout), so send every console line to stderr.
console.log = console.info = console.error;

// The spawning test's lifetime is our lifetime: when it dies, the write end of our stdin pipe
// closes and we see EOF. Only when stdin is a pipe or socket (Rust's Stdio::piped() gives a
// FIFO, node's spawn a socket): from a terminal or /dev/null (EOF at once) we keep running.
let stdinKind = null;
try { stdinKind = fstatSync(0); } catch { /* no fd 0 at all */ }
if (stdinKind && (stdinKind.isFIFO() || stdinKind.isSocket())) {
  process.stdin.on("end", () => process.exit(0));
  process.stdin.on("error", () => process.exit(0));
  process.stdin.resume(); // flowing mode, or 'end' never fires; whatever is written is dropped
}
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => process.exit(0));

// Listen first: the issuer must name the real port, which is only known once bound.
const server = createServer();
await new Promise((resolve, reject) => {
  server.once("error", reject);
  server.listen(Number(process.env.OIDC_PORT ?? 0), "127.0.0.1", resolve);
});
const issuer = `http://127.0.0.1:${server.address().port}`;

// One RS256 signing key per run. We keep the private key to re-sign tokens for faults.
const { privateKey } = await generateKeyPair("RS256", { extractable: true });
const jwk = { ...(await exportJWK(privateKey)), kid: randomUUID(), alg: "RS256", use: "sig" };

// Accounts, set by the test with PUT /__test/accounts/:sub. Claims are read at token time,
// so a change between two sign-ins shows in the second ID token.
const accounts = new Map();
const FAULTS = ["wrong_audience", "expired", "wrong_nonce", "wrong_issuer", "bad_signature"];
let nextFault = null; // consumed by the next successful token response

const page = (title, body) => `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>${title}</h1>${body}</main></body></html>`;
const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const provider = new Provider(issuer, {
  jwks: { keys: [jwk] },
  findAccount: async (ctx, sub) => accounts.has(sub) && {
    accountId: sub,
    claims: async () => {
      const { email, name, groups } = accounts.get(sub) ?? {};
      return { sub, email, email_verified: true, name, ...(groups === null ? {} : { groups }) };
    },
  },
  scopes: ["openid", "email", "profile", "groups"],
  claims: { email: ["email", "email_verified"], profile: ["name"], groups: ["groups"] },
  // The relying party reads email and groups from the ID token, not from userinfo.
  conformIdTokenClaims: false,
  // Require PKCE (S256) of every client, so a relying party that forgets it fails here.
  pkce: { methods: ["S256"], required: () => true },
  features: {
    devInteractions: { enabled: false }, // ours are below
    registration: { enabled: true }, // open: no initial access token
    rpInitiatedLogout: {
      enabled: true,
      // Add logout=yes to the provider's form and submit it at once, so a browser goes
      // straight back to post_logout_redirect_uri; a plain HTTP client can post the form.
      logoutSource: async (ctx, form) => {
        ctx.body = page("Signing out", `${form.replace("</form>", '<input type="hidden" name="logout" value="yes"></form>')}
<button type="submit" form="op.logoutForm">Sign out</button>
<script>document.getElementById("op.logoutForm").submit()</script>`);
      },
      postLogoutSuccessSource: async (ctx) => { ctx.body = page("Signed out", "<p>You are signed out.</p>"); },
    },
  },
  // Over plain http the provider's default SameSite=None cookie would be refused by browsers
  // (None needs Secure); Lax works here since everything is same-site on 127.0.0.1. Cookies
  // ignore ports, so use names the relying party on another port of 127.0.0.1 will not.
  cookies: {
    keys: [randomUUID()],
    names: { session: "op_session", interaction: "op_interaction", resume: "op_interaction_resume" },
    long: { httpOnly: true, sameSite: "lax", signed: true },
    short: { httpOnly: true, sameSite: "lax", signed: true },
  },
  ttl: { AccessToken: 3600, AuthorizationCode: 60, IdToken: 3600, Interaction: 600, Session: 86400, Grant: 86400 },
  renderError: async (ctx, out) => {
    ctx.type = "html";
    ctx.body = page("Sign-in error", `<p>${escape(out.error)}: ${escape(out.error_description ?? "")}</p>`);
  },
});
// Say why a flow failed on stderr: a test sees only a redirect with error=..., if that.
for (const event of ["server_error", "authorization.error", "grant.error", "registration_create.error", "end_session.error"]) {
  provider.on(event, (ctx, err) => {
    console.error(`oidc ${event}: ${err.message} ${err.error_description ?? ""} ${err.error_detail ?? ""}`);
  });
}

async function readBody(req) {
  let text = "";
  for await (const chunk of req) text += chunk;
  return text;
}

// Grant every requested scope, so no consent page ever shows; `missing` adds what a consent
// prompt says is still missing (e.g. claims asked for with the `claims` parameter).
async function grantAll({ grantId, accountId, details, missing = {} }) {
  const grant = (grantId && await provider.Grant.find(grantId))
    || new provider.Grant({ accountId, clientId: details.params.client_id });
  grant.addOIDCScope(String(details.params.scope ?? "openid"));
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope);
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(resource, scopes);
  return grant.save();
}

// The sign-in form: no password, the username is the account's sub.
function loginPage(ctx, uid, error) {
  ctx.type = "html";
  ctx.body = page("Sign in", `${error ? `<p role="alert">${escape(error)}</p>` : ""}
<form method="post" action="/interaction/${escape(uid)}/login">
<p><label for="login">Username</label> <input id="login" name="login" autocomplete="username" required autofocus></p>
<p><button type="submit">Sign in</button></p></form>`);
}

// Finish the interaction and send the browser (303) back to /auth to resume the flow.
async function finish(ctx, result) {
  const to = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
  ctx.status = 303;
  ctx.redirect(to);
}

// Control routes and the interaction pages, ahead of the provider's own routes.
provider.use(async (ctx, next) => {
  let m;
  if ((m = ctx.path.match(/^\/__test\/accounts\/([^/]+)$/)) && ctx.method === "PUT") {
    let account;
    try { account = JSON.parse(await readBody(ctx.req)); } catch { ctx.throw(400, "body must be JSON"); }
    // `groups: null` leaves the claim out of the token, as a provider does when a person
    // has too many groups (Entra ID's overage) or the groups scope was not granted.
    const { email, name, groups = [] } = account ?? {};
    if (typeof email !== "string" || (groups !== null && (!Array.isArray(groups) || groups.some((g) => typeof g !== "string")))) {
      ctx.throw(400, "expected {email: string, name?: string, groups?: string[] | null}");
    }
    accounts.set(decodeURIComponent(m[1]), { email, name: name ?? email, groups });
    ctx.status = 204;
  } else if (ctx.path === "/__test/fault" && ctx.method === "POST") {
    let kind;
    try { ({ kind } = JSON.parse(await readBody(ctx.req))); } catch { /* checked below */ }
    if (!FAULTS.includes(kind)) ctx.throw(400, `kind must be one of ${FAULTS.join(", ")}`);
    nextFault = kind;
    ctx.status = 204;
  } else if (ctx.path === "/__test/fault" && ctx.method === "DELETE") {
    nextFault = null;
    ctx.status = 204;
  } else if ((m = ctx.path.match(/^\/interaction\/([^/]+)$/)) && ctx.method === "GET") {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.prompt.name === "consent") {
      // Already signed in (an OP session exists) but this client lacks a grant: give it.
      const grantId = await grantAll({
        grantId: details.grantId, accountId: details.session.accountId, details, missing: details.prompt.details,
      });
      return finish(ctx, { consent: { grantId } });
    }
    loginPage(ctx, details.uid);
  } else if ((m = ctx.path.match(/^\/interaction\/([^/]+)\/login$/)) && ctx.method === "POST") {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const sub = new URLSearchParams(await readBody(ctx.req)).get("login") ?? "";
    if (!accounts.has(sub)) {
      ctx.status = 400;
      return loginPage(ctx, details.uid, `No such user: ${sub}`);
    }
    // Log in and consent in one step, so the flow goes straight back to the relying party.
    const grantId = await grantAll({ accountId: sub, details });
    return finish(ctx, { login: { accountId: sub }, consent: { grantId } });
  } else {
    await next();
  }
});

// Fault injection: rewrite the ID token of the next successful token response.
provider.use(async (ctx, next) => {
  await next();
  if (!nextFault || ctx.path !== "/token" || ctx.status !== 200 || !ctx.body?.id_token) return;
  const kind = nextFault;
  nextFault = null;
  const { id_token } = ctx.body;
  const payload = decodeJwt(id_token);
  const header = decodeProtectedHeader(id_token); // same alg and kid
  const now = Math.floor(Date.now() / 1000);
  let key = privateKey;
  if (kind === "wrong_audience") payload.aud = "someone-else";
  if (kind === "expired") Object.assign(payload, { iat: now - 7200, exp: now - 3600 });
  if (kind === "wrong_nonce") payload.nonce = "not-the-nonce";
  if (kind === "wrong_issuer") payload.iss = "http://127.0.0.1:1";
  if (kind === "bad_signature") key = (await generateKeyPair("RS256")).privateKey;
  ctx.body = { ...ctx.body, id_token: await new SignJWT(payload).setProtectedHeader(header).sign(key) };
  console.error(`oidc fault injected: ${kind}`);
});

server.on("request", provider.callback());
process.stdout.write(`${JSON.stringify({ issuer })}\n`);
