// The operator's Overview, Deliveries and Fleet pages in headless Chromium: the counts, revenue and
// the fleet forecast as the API answers them, each count a link to its list; an account's
// session refused both; checked by axe-core and screenshotted at desktop and phone width.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTenure, api, browser, seriousViolations, screenshots, signIn, ADMIN_KEY } from "./support.mjs";

let tenure;
let chromium;
let owner;
let accountId;

const usd = (amountMinor) => `${(amountMinor / 100).toFixed(2)} USD`;

before(async () => {
  tenure = await startTenure("2026-03-01T00:00:00Z");
  chromium = await browser();
  const account = await api(tenure.address, "POST", "/v1/accounts",
    { name: "Ada Lovelace", email: "ada@example.com", mobile: "+15550100" });
  accountId = account.id;
  owner = account.owner_key;
  await api(tenure.address, "POST", `/v1/accounts/${accountId}/deposits`, { amount: 30000, method: "bank_card" });
  // Two auto-renewing instances: the balance left pays neither renewal.
  for (const spec of ["tps-1000", "tps-1000"]) {
    await api(tenure.address, "POST", "/v1/instances", {
      account: accountId, product: "message-queue", edition: "basic", spec,
      region: "us-east-1", billing: "subscription", period: "1M", auto_renew: { period: "1M" },
    });
  }
});

after(async () => {
  await chromium?.close();
  tenure?.stop();
});

test("the operator lands on the overview: its figures are the API's, each a link", async () => {
  const overview = await api(tenure.address, "GET", "/v1/overview");
  const forecast = await api(tenure.address, "GET", "/v1/forecast?days=30");
  assert.equal(overview.revenue_totals[0].net_minor, 24000);
  assert.equal(forecast.accounts_at_risk, 1);

  const context = await chromium.newContext();
  const page = await signIn(context, tenure.address, ADMIN_KEY);
  assert.match(page.url(), /\/console\/overview$/);
  const text = async (selector) => (await page.locator(selector).first().textContent()).trim();
  assert.match(await text("[data-test=revenue-total-USD]"), new RegExp(`^${usd(24000)} net`));
  assert.match(await text("[data-test=accounts]"), /^1\s*accounts$/);
  assert.match(await text("[data-test=at-risk-USD]"),
    new RegExp(`^${usd(forecast.totals[0].amount_minor)} of auto-renewals`));
  const atRisk = page.locator("[data-test=at-risk-accounts] tbody tr");
  assert.equal(await atRisk.count(), 1);
  assert.match(await atRisk.first().textContent(), /Ada Lovelace/);
  const instances = page.locator("[data-test=instances-by-product] tbody tr");
  assert.match(await instances.first().textContent(), /Message queue \(MQTT\)\s*active\s*2/);
  assert.deepEqual(await seriousViolations(page), []);
  await screenshots(page, "overview");

  // The account at risk is reminded from the list: an email and an SMS.
  await page.click("[data-test=remind]");
  await page.waitForURL(/\/console\/overview\/reminders$/);
  assert.match(await page.locator("main").textContent(), /Reminded 1 account\(s\) by email and SMS/);
  const notices = await api(tenure.address, "GET",
    `/v1/notifications?account=${accountId}&kind=account.renewal_funds_reminder`);
  assert.deepEqual(notices.data.map((notice) => notice.channel), ["email", "sms"]);
  assert.match(notices.data[0].body, new RegExp(usd(forecast.totals[0].amount_minor).replace(".", "\\.")));
  await page.goto(`${tenure.address}/console/overview`);

  // A count leads to the list behind it.
  await page.click("[data-test=accounts]");
  await page.waitForURL(/\/console\/accounts$/);
  await page.goto(`${tenure.address}/console/overview`);
  await page.click("[data-test=deliveries-failed]");
  await page.waitForURL(/\/console\/deliveries\?status=failed$/);
  assert.match(await page.locator("main").textContent(), /No failed deliveries/);
  await page.goto(`${tenure.address}/console/deliveries?status=pending`);
  assert.deepEqual(await seriousViolations(page), []);
  await screenshots(page, "deliveries");
  // The instances of a product and status lead to the fleet's list of them.
  await page.goto(`${tenure.address}/console/overview`);
  await page.click("[data-test=instances-by-product] a");
  await page.waitForURL(/\/console\/fleet\?product=message-queue&status=active$/);
  assert.equal(await page.locator("[data-test=fleet-row]").count(), 2);
  assert.deepEqual(await seriousViolations(page), []);
  await screenshots(page, "fleet");
  await context.close();
});

test("an account's session is refused the operator's pages", async () => {
  const context = await chromium.newContext();
  const page = await signIn(context, tenure.address, owner);
  assert.match(page.url(), /\/console\/instances$/);
  for (const path of ["/console/overview", "/console/deliveries"]) {
    const answer = await page.goto(`${tenure.address}${path}`);
    assert.equal(answer.status(), 403, path);
    assert.doesNotMatch(await page.content(), /Ada Lovelace.*at risk/);
  }
  await context.close();
});
