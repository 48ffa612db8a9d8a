// The Invoices page in headless Chromium: an account's invoices and the credit note of an
// unsubscription, newest first with the amounts the API answers, filtered by kind, each PDF
// downloaded through the console session; checked by axe-core and screenshotted.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { startTenure, api, browser, seriousViolations, screenshots, signIn } from "./support.mjs";

let tenure;
let chromium;
let owner;
let accountId;
let charged;
let unsubscribedInstance;

/** An amount in minor units as the console writes US dollars. */
const usd = (amountMinor) => `${(amountMinor / 100).toFixed(2)} USD`;

before(async () => {
  tenure = await startTenure("2026-03-01T00:00:00Z");
  chromium = await browser();
  const account = await api(tenure.address, "POST", "/v1/accounts",
    { name: "Ada Lovelace", email: "ada@example.com", mobile: "+15550100" });
  accountId = account.id;
  owner = account.owner_key;
  await api(tenure.address, "POST", `/v1/accounts/${accountId}/deposits`, { amount: 100000, method: "bank_card" });
  charged = [];
  for (const spec of ["tps-1000", "tps-5000"]) {
    const bought = await api(tenure.address, "POST", "/v1/instances", {
      account: accountId, product: "message-queue", edition: "basic", spec,
      region: "us-east-1", billing: "subscription", period: "1M",
    });
    const order = bought.order;
    charged.push(order.paid_balance_minor + order.paid_coupon_minor + order.paid_voucher_minor
      + order.paid_external_minor);
    unsubscribedInstance = bought.instance.id;
  }
  // Ten days in, the second is unsubscribed: a partial refund, and its credit note.
  await api(tenure.address, "POST", "/v1/clock/advance", { to: "2026-03-11T00:00:00Z" });
  await api(tenure.address, "POST", `/v1/instances/${unsubscribedInstance}/unsubscribe`,
    { confirm_refund: true, confirm_data_backed_up: true });
});

after(async () => {
  await chromium?.close();
  tenure?.stop();
});

/** The rows of the table as the page shows them. */
async function rows(page) {
  return page.locator("[data-test=invoice-row]").evaluateAll((rows) => rows.map((row) => {
    const cell = (name) => row.querySelector(`[data-test=${name}]`).textContent.trim();
    return {
      id: row.dataset.id, number: cell("number"), kind: cell("kind"), net: cell("net"), tax: cell("tax"),
      gross: cell("gross"), paid: cell("paid"), due: cell("due"), corrects: cell("corrects"),
      correctsHref: row.querySelector("[data-test=corrects] a")?.getAttribute("href") ?? null,
    };
  }));
}

test("the Invoices page lists invoices and credit notes newest first, as the API answers them", async () => {
  const issued = (await api(tenure.address, "GET", `/v1/invoices?account=${accountId}`)).data;
  assert.equal(issued.length, 3);
  const [first, second, creditNote] = issued;
  assert.equal(creditNote.kind, "credit_note");
  assert.equal(creditNote.corrects_id, second.id);
  // Each invoice charged what its order cost; the credit note gives back what was refunded.
  assert.deepEqual([first.gross_minor, second.gross_minor], charged);
  const refunds = (await api(tenure.address, "GET", `/v1/refunds?account=${accountId}`)).data;
  assert.equal(creditNote.gross_minor, refunds[0].refund_minor);
  assert.ok(creditNote.gross_minor > 0 && creditNote.gross_minor < charged[1]);

  const context = await chromium.newContext({ acceptDownloads: true });
  const page = await signIn(context, tenure.address, owner);
  await page.click('a[href="/console/invoices"]');
  await page.waitForURL(/\/console\/invoices$/);
  const shown = await rows(page);
  assert.deepEqual(shown.map((row) => row.number), [creditNote.number, second.number, first.number]);
  assert.deepEqual(shown.map((row) => row.kind), ["Credit note", "Invoice", "Invoice"]);
  for (const [row, document] of [[shown[0], creditNote], [shown[1], second], [shown[2], first]]) {
    assert.equal(row.id, document.id);
    assert.equal(row.net, usd(document.net_minor), document.number);
    assert.equal(row.tax, usd(document.tax_minor), document.number);
    assert.equal(row.gross, usd(document.gross_minor), document.number);
    assert.equal(row.paid, usd(document.paid_minor), document.number);
    assert.equal(row.due, usd(document.due_minor), document.number);
  }
  assert.equal(shown[2].gross, usd(charged[0]));
  assert.equal(shown[0].corrects, second.number);
  assert.equal(shown[0].correctsHref, `/console/invoices/${second.id}`);
  assert.equal(shown[1].corrects, "");
  assert.equal(await page.locator("[data-test=next-page]").count(), 0, "one page");
  assert.deepEqual(await seriousViolations(page), []);
  await screenshots(page, "invoices");

  // The credit note's link leads to the invoice it corrects.
  await page.click(`[data-test=corrects] a[href="/console/invoices/${second.id}"]`);
  await page.waitForURL(new RegExp(`/console/invoices/${second.id}$`));
  assert.match(await page.textContent("h1"), new RegExp(`Invoice ${second.number}`));
  assert.match(await page.textContent("main"), /Message queue \(MQTT\)/);
  assert.deepEqual(await seriousViolations(page), []);
  await screenshots(page, "invoice");
  await context.close();
});

test("the kind filter shows invoices or credit notes alone", async () => {
  const context = await chromium.newContext();
  const page = await signIn(context, tenure.address, owner);
  await page.goto(`${tenure.address}/console/invoices`);
  await page.click("nav.tabs >> text=Credit notes");
  await page.waitForURL(/kind=credit_note/);
  let shown = await rows(page);
  assert.deepEqual(shown.map((row) => row.kind), ["Credit note"]);
  assert.equal(await page.getAttribute("nav.tabs a[aria-current=page]", "href"), "/console/invoices?kind=credit_note");
  assert.deepEqual(await seriousViolations(page), []);
  await screenshots(page, "invoices-credit-notes");

  await page.click("nav.tabs >> text=Invoices");
  await page.waitForURL(/kind=invoice$/);
  shown = await rows(page);
  assert.deepEqual(shown.map((row) => row.kind), ["Invoice", "Invoice"]);

  await page.click("nav.tabs >> text=All");
  await page.waitForURL(/\/console\/invoices$/);
  assert.equal((await rows(page)).length, 3);
  await context.close();
});

test("each document's PDF downloads through the console session", async () => {
  const issued = (await api(tenure.address, "GET", `/v1/invoices?account=${accountId}`)).data;
  const context = await chromium.newContext({ acceptDownloads: true });
  const page = await signIn(context, tenure.address, owner);
  await page.goto(`${tenure.address}/console/invoices`);
  for (const document of issued) {
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.click(`a[href="/console/invoices/${document.id}/pdf"]`),
    ]);
    assert.equal(download.suggestedFilename(), `${document.number}.pdf`);
    const bytes = await readFile(await download.path());
    assert.equal(bytes.subarray(0, 5).toString("latin1"), "%PDF-", document.number);
    assert.ok(bytes.length > 1000, document.number);
  }
  await context.close();
});
