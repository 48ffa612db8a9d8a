// Card payments in the console, in headless Chromium against localstripe: a customer adds a
// card with Stripe's card field (localstripe's stand-in for Stripe.js, a plain input rather
// than Stripe's iframe) on the view the Cards page's "Add a card" leads to, sees it saved as the default, and adds funds by card from the
// balance page. Each page is checked by axe-core.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  startTenure, startLocalStripe, api, browser, seriousViolations, screenshots, signIn,
} from "./support.mjs";

let stripe;
let tenure;
let chromium;

before(async () => {
  stripe = await startLocalStripe();
  tenure = await startTenure("2026-02-10T00:00:00Z", [
    "--stripe-secret-key", "sk_test_x",
    "--stripe-publishable-key", "pk_test_x",
    "--stripe-api-base", stripe.base,
    "--stripe-js-url", `${stripe.base}/js.stripe.com/v3/`,
  ]);
  chromium = await browser();
});

after(async () => {
  await chromium?.close();
  tenure?.stop();
  stripe?.stop();
});

test("a customer adds a card with Stripe's field and tops up 50.00 by card", async () => {
  const account = await api(tenure.address, "POST", "/v1/accounts",
    { name: "Grace Hopper", email: "grace@example.com", mobile: "+15550101" });
  const context = await chromium.newContext();
  const page = await signIn(context, tenure.address, account.owner_key);
  // The card page's Content-Security-Policy lets Stripe.js run and reach its server.
  const refused = [];
  page.on("console", (entry) => {
    if (/Content Security Policy/i.test(entry.text())) refused.push(entry.text());
  });

  await page.click('a[href="/console/cards"]');
  await page.waitForURL(/\/console\/cards$/);
  assert.ok(await page.locator("[data-test=no-cards]").isVisible());
  assert.deepEqual(await seriousViolations(page), []);
  // Looking at the cards asked Stripe nothing; adding one is a view of its own.
  assert.equal(await page.locator("#card-form").count(), 0);
  await Promise.all([
    page.waitForURL(/\/console\/cards\/add\??$/),
    page.click("[data-test=add-card]"),
  ]);
  // localstripe's field: number, month, two-digit year, CVC, postal code.
  await page.waitForSelector('#card-element input[placeholder="number"]');
  await page.fill('#card-element input[placeholder="number"]', "4242424242424242");
  await page.fill('#card-element input[placeholder="exp_month"]', "12");
  await page.fill('#card-element input[placeholder="exp_year"]', "30");
  await page.fill('#card-element input[placeholder="cvc"]', "123");
  await page.fill('#card-element input[placeholder="postal_code"]', "10001");
  assert.deepEqual(await seriousViolations(page), []);
  await screenshots(page, "cards-add");

  await Promise.all([
    page.waitForNavigation(),
    page.click("#card-submit"),
  ]);
  assert.match(await page.textContent("main"), /Saved the Visa card ending 4242, the default/);
  const rows = page.locator("[data-test=card]");
  assert.equal(await rows.count(), 1);
  assert.match(await rows.first().textContent(), /Visa ending 4242/);
  assert.match(await rows.first().textContent(), /12\/2030/);
  assert.equal(await rows.first().locator("[data-test=card-default]").textContent(), "Default");
  // The number went to localstripe, never to tenure: tenure knows the card by its id alone.
  const cards = await api(tenure.address, "GET", `/v1/accounts/${account.id}/payment-methods`);
  assert.equal(cards.data.length, 1);
  assert.match(cards.data[0].provider_payment_method, /^pm_/);
  assert.deepEqual(await seriousViolations(page), []);
  await screenshots(page, "cards");

  await page.click('a[href="/console/balance"]');
  await page.waitForURL(/\/console\/balance/);
  assert.equal(await page.textContent("[data-test=balance]"), "0.00 USD");
  await page.fill("#top-up-amount", "50.00");
  await Promise.all([
    page.waitForNavigation(),
    page.click("[data-test=card-top-up] button[type=submit]"),
  ]);
  assert.match(await page.textContent("main"), /Added 50\.00 USD by card/);
  assert.equal(await page.textContent("[data-test=balance]"), "50.00 USD");
  assert.deepEqual(await seriousViolations(page), []);
  await screenshots(page, "balance-card-top-up");

  const payments = await api(tenure.address, "GET", `/v1/payments?account=${account.id}`);
  assert.equal(payments.data.length, 1);
  assert.equal(payments.data[0].status, "succeeded");
  assert.equal(payments.data[0].amount_minor, 5000);
  assert.deepEqual(refused, []);
  await context.close();
});

test("a declined card is said so beside the form, and nothing is saved", async () => {
  const account = await api(tenure.address, "POST", "/v1/accounts",
    { name: "Alan Turing", email: "alan@example.com", mobile: "+15550102" });
  const context = await chromium.newContext();
  const page = await signIn(context, tenure.address, account.owner_key);
  await page.goto(`${tenure.address}/console/cards/add`);
  await page.waitForSelector('#card-element input[placeholder="number"]');
  // localstripe declines this number when it is attached.
  await page.fill('#card-element input[placeholder="number"]', "4000000000000002");
  await page.fill('#card-element input[placeholder="exp_month"]', "12");
  await page.fill('#card-element input[placeholder="exp_year"]', "30");
  await page.fill('#card-element input[placeholder="cvc"]', "123");
  await page.click("#card-submit");
  await page.waitForFunction(() => document.getElementById("card-errors").textContent.length > 0);
  assert.match(await page.textContent("#card-errors"), /declined/i);
  const cards = await api(tenure.address, "GET", `/v1/accounts/${account.id}/payment-methods`);
  assert.equal(cards.data.length, 0);
  await context.close();
});
