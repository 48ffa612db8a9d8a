// The operator's Accounts pages in headless Chromium: accounts made through the API, searched,
// filtered, sorted and paged to the second page with the amounts the API answers; one account's
// page with its money, instances, ledger and users as the API answers them, and its button to
// the customer pages; an account's own session refused. Checked by axe-core and screenshotted.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTenure, api, browser, seriousViolations, screenshots, signIn, ADMIN_KEY } from "./support.mjs";

let tenure;
let chromium;
let owner;
let grace;
let graceInstance;
const CUSTOMERS = 52;

/** An amount in minor units as the console writes US dollars. */
const usd = (amountMinor) => `${(amountMinor / 100).toFixed(2)} USD`;

before(async () => {
  tenure = await startTenure("2026-03-01T00:00:00Z");
  chromium = await browser();
  const own = await api(tenure.address, "POST", "/v1/accounts",
    { name: "Ada Lovelace", email: "ada@example.com", mobile: "+15550100" });
  owner = own.owner_key;
  for (let index = 0; index < CUSTOMERS; index += 1) {
    const number = String(index).padStart(2, "0");
    const account = await api(tenure.address, "POST", "/v1/accounts", {
      name: `Customer ${number}`, email: `customer${number}@example.com`, mobile: `+1555020${number}`,
    });
    if (index % 3 === 0) {
      await api(tenure.address, "POST", `/v1/accounts/${account.id}/deposits`,
        { amount: 1000 + index * 7, method: "transfer" });
    }
  }
  const made = await api(tenure.address, "POST", "/v1/accounts", {
    name: "Grace Hopper", email: "grace@navy.example", mobile: "+15550199", low_balance_threshold: 50000,
  });
  grace = made.id;
  await api(tenure.address, "POST", `/v1/accounts/${grace}/deposits`, { amount: 20000, method: "transfer" });
  await api(tenure.address, "POST", `/v1/accounts/${grace}/coupons`, { amount: 1500 });
  await api(tenure.address, "POST", `/v1/accounts/${grace}/users`, { name: "Billing clerk", role: "billing" });
  const bought = await api(tenure.address, "POST", "/v1/instances", {
    account: grace, product: "message-queue", edition: "basic", spec: "tps-1000",
    region: "us-east-1", billing: "subscription", period: "1M", auto_renew: { period: "1M" },
  });
  graceInstance = bought.instance.id;
});

after(async () => {
  await chromium?.close();
  tenure?.stop();
});

/** The rows of the accounts table as the page shows them. */
async function rows(page) {
  return page.locator("[data-test=account-row]").evaluateAll((rows) => rows.map((row) => {
    const cell = (name) => row.querySelector(`[data-test=${name}]`).textContent.trim();
    return {
      id: row.dataset.id, name: cell("name"), email: cell("email"), mobile: cell("mobile"),
      balance: cell("balance"), states: cell("states").replace(/\s+/g, " "),
    };
  }));
}

/** Every account as the API lists it, by id. */
async function listed(query = "") {
  const answer = await api(tenure.address, "GET", `/v1/accounts?limit=1000${query}`);
  return answer.data;
}

test("the Accounts page lists every account fifty at a time, as the API answers them", async () => {
  const all = await listed();
  assert.equal(all.length, CUSTOMERS + 2);
  const byId = new Map(all.map((account) => [account.id, account]));

  const context = await chromium.newContext();
  const page = await signIn(context, tenure.address, ADMIN_KEY);
  await page.click('nav a[href="/console/accounts"]');
  await page.waitForURL(/\/console\/accounts$/);
  const first = await rows(page);
  assert.equal(first.length, 50);
  assert.equal(await page.locator("[data-test=account-count]").count(), 0, "many: no count");
  assert.deepEqual(first.map((row) => row.id), all.slice(0, 50).map((account) => account.id));
  for (const row of first) {
    const account = byId.get(row.id);
    assert.equal(row.name, account.name);
    assert.equal(row.email, account.email);
    assert.equal(row.mobile, account.mobile);
    assert.equal(row.balance, usd(account.balance_minor), account.name);
  }
  assert.deepEqual(await seriousViolations(page), []);
  await screenshots(page, "accounts");

  await page.click("[data-test=next-page]");
  await page.waitForURL(/after=/);
  const second = await rows(page);
  assert.deepEqual(second.map((row) => row.id), all.slice(50).map((account) => account.id));
  const graceRow = second.find((row) => row.id === grace);
  assert.equal(graceRow.balance, usd(byId.get(grace).balance_minor));
  assert.equal(graceRow.states, "low balance");
  await context.close();
});

test("search, filters and order narrow the list and ride along to the next page", async () => {
  const context = await chromium.newContext();
  const page = await signIn(context, tenure.address, ADMIN_KEY);
  await page.goto(`${tenure.address}/console/accounts`);

  await page.fill("#a-search", "NAVY.example");
  await page.click("form.filters button[type=submit]");
  await page.waitForURL(/search=NAVY.example/);
  assert.deepEqual((await rows(page)).map((row) => row.id), [grace]);
  assert.equal((await page.textContent("[data-test=account-count]")).trim(), "1 account");

  // Wildcards of SQL are plain text: a "%" finds no one here.
  await page.fill("#a-search", "%");
  await page.click("form.filters button[type=submit]");
  await page.waitForURL(/search=%25/);
  assert.equal((await rows(page)).length, 0);
  assert.match(await page.textContent("[data-test=no-accounts]"), /No account matches/);

  await page.fill("#a-search", "");
  await page.check("input[name=low_balance]");
  await page.click("form.filters button[type=submit]");
  await page.waitForURL(/low_balance=true/);
  const low = await listed("&low_balance=true");
  assert.deepEqual((await rows(page)).map((row) => row.id), low.map((account) => account.id));
  assert.deepEqual(low.map((account) => account.id), [grace]);
  assert.ok(await page.isChecked("input[name=low_balance]"), "the box stays ticked");
  assert.deepEqual(await seriousViolations(page), []);
  await screenshots(page, "accounts-filtered");

  // By balance, smallest first, searching "customer": the next page keeps both.
  await page.uncheck("input[name=low_balance]");
  await page.fill("#a-search", "customer");
  await page.selectOption("#a-sort", "balance");
  await page.click("form.filters button[type=submit]");
  await page.waitForURL(/sort=balance/);
  const byBalance = await listed("&search=customer&sort=balance");
  assert.equal(byBalance.length, CUSTOMERS);
  const first = await rows(page);
  assert.deepEqual(first.map((row) => row.id), byBalance.slice(0, 50).map((account) => account.id));
  assert.deepEqual(first.map((row) => row.balance), byBalance.slice(0, 50).map((account) => usd(account.balance_minor)));
  const next = await page.getAttribute("[data-test=next-page]", "href");
  assert.match(next, /search=customer/);
  assert.match(next, /sort=balance/);
  await page.click("[data-test=next-page]");
  await page.waitForURL(/after=/);
  assert.deepEqual((await rows(page)).map((row) => row.id), byBalance.slice(50).map((account) => account.id));
  assert.equal(await page.inputValue("#a-sort"), "balance");
  await context.close();
});

test("an account's page shows its money, instances, ledger and users as the API does", async () => {
  const view = await api(tenure.address, "GET", `/v1/accounts/${grace}`);
  const ledger = await api(tenure.address, "GET", `/v1/accounts/${grace}/ledger?limit=50`);
  const users = await api(tenure.address, "GET", `/v1/accounts/${grace}/users?limit=50`);
  const context = await chromium.newContext();
  const page = await signIn(context, tenure.address, ADMIN_KEY);
  await page.goto(`${tenure.address}/console/accounts?search=grace`);
  await page.click(`[data-test=account-row] a[href="/console/accounts/${grace}"]`);
  await page.waitForURL(new RegExp(`/console/accounts/${grace}$`));
  assert.equal((await page.textContent("h1")).trim(), "Grace Hopper");
  const fact = async (name) => (await page.textContent(`[data-test=account-facts] [data-test=${name}]`)).trim();
  assert.equal(await fact("id"), grace);
  assert.equal(await fact("email"), view.email);
  assert.equal(await fact("mobile"), view.mobile);
  assert.equal(await fact("balance"), usd(view.balance_minor));
  assert.equal(await fact("coupons"), usd(view.coupons_minor));
  assert.equal(await fact("debt"), usd(view.debt_minor));
  assert.equal(view.low_balance, true);
  assert.match(await fact("states"), /low balance/);
  assert.equal(await page.locator(`a[href="/console/instances/${graceInstance}"]`).count(), 1);
  assert.equal(await page.locator("[data-test=ledger-row]").count(), ledger.data.length);
  assert.equal(await page.locator("[data-test=user-row]").count(), users.data.length);
  assert.match(await page.textContent("main"), /Billing clerk/);
  assert.equal(await page.locator("figure.chart").count(), 1, "the forecast");
  assert.deepEqual(await seriousViolations(page), []);
  await screenshots(page, "account");

  // Its button makes it the account the customer pages show.
  await page.click("[data-test=pick-account] button");
  await page.waitForURL(/\/console\/instances$/);
  assert.equal(await page.inputValue("#pick-account"), grace);
  assert.equal(await page.locator(`a[href="/console/instances/${graceInstance}"]`).count(), 1);
  await context.close();
});

test("an account's own session is refused both pages", async () => {
  const context = await chromium.newContext();
  const page = await signIn(context, tenure.address, owner);
  assert.equal(await page.locator('a[href="/console/accounts"]').count(), 0, "no link");
  for (const path of ["/console/accounts", `/console/accounts/${grace}`]) {
    const response = await page.goto(`${tenure.address}${path}`);
    assert.equal(response.status(), 403, path);
    assert.match(await page.textContent("main"), /operator's/);
    assert.doesNotMatch(await page.textContent("main"), /Grace/);
  }
  await context.close();
});
