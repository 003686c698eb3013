// The admin's webhook pages in chromium: a receiver on loopback (node's http server, which
// checks the signature with node's own crypto) is subscribed with the keyboard, the
// secret is shown once, a test event is sent and logged; in English and Bokmål. Called
// by run.mjs with its helpers.
import { createServer } from "node:http";
import { createHmac, timingSafeEqual } from "node:crypto";

// A receiver that answers 200 and keeps what it got.
async function startReceiver() {
  const got = [];
  const server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => { body += chunk; });
    request.on("end", () => {
      got.push({ headers: request.headers, body });
      response.writeHead(200).end();
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, got, base: `http://127.0.0.1:${server.address().port}` };
}

function signed(secret, header, body) {
  const parts = Object.fromEntries(header.split(",").map((p) => p.split("=")));
  const expected = createHmac("sha256", secret).update(`${parts.t}.${body}`).digest("hex");
  return expected.length === (parts.v1 ?? "").length && timingSafeEqual(Buffer.from(expected), Buffer.from(parts.v1));
}

export async function webhooks({ check, audit, main }) {
  const receiver = await startReceiver();
  try {
    const page = main.adminPage;
    await page.goto(`${main.base}/admin`);
    await page.click("a[href='/admin/webhooks']");
    await audit(page, "webhooks");
    await page.fill("#url", `${receiver.base}/endring`);
    await page.check("#events-decided");
    await page.check("#events-closed");
    await page.press("#secret", "Enter");
    await page.waitForURL(/\/admin\/webhooks\/\d+$/);
    const notice = await page.textContent("main");
    const secret = notice.match(/whsec_[0-9a-f]+/)?.[0];
    check("adding a webhook with the keyboard shows its secret once", Boolean(secret), notice.slice(0, 300));
    await audit(page, "webhook added");
    await page.click("form[action$='/test'] button");
    await page.waitForURL(/\/admin\/webhooks\/\d+/);
    check("a test event says what the receiver answered", (await page.textContent("main")).includes("HTTP 200"));
    check("the receiver got it, signed", receiver.got.length === 1 && signed(secret, receiver.got[0].headers["x-endring-signature"], receiver.got[0].body));
    check("the log lists the delivery", (await page.textContent("table")).includes("delivered"));
    check("the secret is not shown again", !(await page.textContent("main")).includes(secret));
    await audit(page, "webhook with a delivered test event");
    await page.click("header.site .account button[lang=nb]");
    await page.waitForLoadState();
    check("the webhook page in Norwegian", (await page.textContent("main")).includes("Leveranser"));
    await audit(page, "webhook in Norwegian");
    await page.goto(`${main.base}/admin/webhooks`);
    await audit(page, "webhooks in Norwegian");
    await page.click("header.site .account button[lang=en]");
    await page.waitForLoadState();
  } finally {
    receiver.server.close();
  }
}
