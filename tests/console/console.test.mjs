// The console clicked through in headless Chromium, every page checked by axe-core and
// screenshotted at desktop and phone width.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTenure, api, browser, seriousViolations, screenshots, signIn, ADMIN_KEY } from "./support.mjs";

let tenure;
let chromium;
let owner;
let accountId;
let instanceIds = [];

before(async () => {
  tenure = await startTenure();
  chromium = await browser();
  const account = await api(tenure.address, "POST", "/v1/accounts",
    { name: "Ada Lovelace", email: "ada@example.com", mobile: "+15550100" });
  accountId = account.id;
  owner = account.owner_key;
  await api(tenure.address, "POST", `/v1/accounts/${accountId}/deposits`, { amount: 100000, method: "bank_card" });
  for (let index = 0; index < 3; index++) {
    const bought = await api(tenure.address, "POST", "/v1/instances", {
      account: accountId, product: "message-queue", edition: "basic", spec: "tps-1000",
      region: "us-east-1", billing: "subscription", period: "1M",
    });
    instanceIds.push(bought.instance.id);
  }
});

after(async () => {
  await chromium?.close();
  tenure?.stop();
});

test("an account key signs in, sees its instances and its balance, and signs out", async () => {
  const context = await chromium.newContext();
  const page = await signIn(context, tenure.address, owner);
  for (const id of instanceIds) {
    assert.ok(await page.locator(`a[href="/console/instances/${id}"]`).isVisible(), id);
  }
  assert.deepEqual(await seriousViolations(page), []);
  await screenshots(page, "instances");

  // The session cookie is one script cannot read, and is sent only from tenure's own pages.
  const [cookie] = (await context.cookies()).filter((cookie) => cookie.name === "tenure_session");
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, "Strict");

  await page.click(`a[href="/console/instances/${instanceIds[0]}"]`);
  await page.waitForURL(/\/console\/instances\/inst_/);
  assert.match(await page.textContent("main"), /instance\.purchased/);
  assert.deepEqual(await seriousViolations(page), []);
  await screenshots(page, "instance");

  await page.click('a[href="/console/balance"]');
  // 1,000.00 deposited, three months of 120.00 paid.
  assert.equal(await page.textContent("[data-test=balance]"), "640.00 USD");
  assert.deepEqual(await seriousViolations(page), []);
  await screenshots(page, "balance");

  await page.click("text=Sign out");
  await page.waitForURL(/\/console\/sign-in/);
  assert.deepEqual(await seriousViolations(page), []);
  await screenshots(page, "sign-in");
  // Signed out: a page leads back to signing in.
  await page.goto(`${tenure.address}/console/balance`);
  assert.match(page.url(), /\/console\/sign-in/);
  await context.close();
});

test("the balance page sets the account's billing profile, and shows a refusal beside it", async () => {
  const context = await chromium.newContext();
  const page = await signIn(context, tenure.address, owner);
  await page.goto(`${tenure.address}/console/balance`);
  assert.match(await page.textContent("[data-test=billing-profile]"), /None set/);
  await page.fill("#billing-legal-name", "Nuage SAS");
  await page.fill("#billing-address-line1", "1 rue de la Paix");
  await page.fill("#billing-city", "Paris");
  await page.fill("#billing-postal-code", "75002");
  await page.fill("#billing-country", "FR");
  await page.fill("#billing-tax-id", "FR40303265045");
  await page.click("[data-test=billing-profile-form] button[type=submit]");
  await page.waitForURL(/\/console\/balance\/billing-profile/);
  assert.match(await page.textContent("main"), /Invoices now name Nuage SAS/);
  assert.match(await page.textContent("[data-test=billing-profile]"), /FR40303265045/);
  assert.equal(await page.inputValue("#billing-city"), "Paris", "the form shows what is set");
  assert.deepEqual(await seriousViolations(page), []);
  await screenshots(page, "billing-profile");
  const profile = await api(tenure.address, "GET", `/v1/accounts/${accountId}/billing-profile`);
  assert.equal(profile.legal_name, "Nuage SAS");
  assert.equal(profile.address_line2, null);

  // A country that is no ISO code: the API's sentence, and the profile as it was.
  await page.fill("#billing-country", "France");
  await page.click("[data-test=billing-profile-form] button[type=submit]");
  await page.waitForLoadState();
  assert.match(await page.textContent("main"), /not an ISO 3166-1 alpha-2 country code/);
  assert.deepEqual(await seriousViolations(page), []);
  const unchanged = await api(tenure.address, "GET", `/v1/accounts/${accountId}/billing-profile`);
  assert.equal(unchanged.country, "FR");
  await context.close();
});

test("a wrong key is refused with a message beside the form", async () => {
  const context = await chromium.newContext();
  const page = await context.newPage();
  await page.goto(`${tenure.address}/console/sign-in`);
  await page.fill("#key", "tnr_not_a_key");
  await page.click("button[type=submit]");
  assert.match(await page.textContent("[role=alert]"), /not a live key/);
  await context.close();
});

test("the operator picks an account and sees its pages", async () => {
  const context = await chromium.newContext();
  const page = await signIn(context, tenure.address, ADMIN_KEY);
  // The operator lands on the overview; the customer pages wait for an account to be picked.
  assert.match(page.url(), /\/console\/overview$/);
  await page.goto(`${tenure.address}/console/instances`);
  assert.match(await page.textContent("main"), /Pick an account/);
  await page.fill("#pick-account", accountId);
  await page.click("text=Show");
  await page.waitForURL(/\/console\/instances/);
  assert.ok(await page.locator(`a[href="/console/instances/${instanceIds[1]}"]`).isVisible());
  await context.close();
});

test("a form posted from elsewhere is refused and does nothing", async () => {
  // A cross-site form cannot know the session's CSRF token: signing out without it is refused.
  const context = await chromium.newContext();
  const page = await signIn(context, tenure.address, owner);
  const status = await page.evaluate(async () => {
    const response = await fetch("/console/sign-out", {
      method: "POST", body: "csrf=forged", headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    return response.status;
  });
  assert.equal(status, 403);
  await page.goto(`${tenure.address}/console/instances`);
  assert.match(page.url(), /\/console\/instances/);
  await context.close();
});

test("bulk renewal: select two, review the quote item by item, confirm", async () => {
  const context = await chromium.newContext();
  const page = await signIn(context, tenure.address, owner);
  await page.click('a[href="/console/renewals"]');
  const count = page.locator('output[data-count-of="instance"]');
  const rows = await page.locator('input[name="instance"]').count();
  assert.equal(await count.textContent(), "None selected");
  await page.check(`#pick-${instanceIds[0]}`);
  assert.equal(await count.textContent(), `1 of ${rows} selected`);
  await page.check(`#pick-${instanceIds[1]}`);
  assert.equal(await count.textContent(), `2 of ${rows} selected`);
  await page.check("#select-all");
  assert.equal(await count.textContent(), `${rows} of ${rows} selected`);
  await page.uncheck("#select-all");
  assert.equal(await count.textContent(), "None selected");
  await page.check(`#pick-${instanceIds[0]}`);
  await page.check(`#pick-${instanceIds[1]}`);
  await page.selectOption("#period", "1M");
  await page.click("text=Review bulk renewal");
  await page.waitForURL(/\/console\/renewals\/review/);
  assert.equal(await page.textContent("[data-test=renewal-total]"), "240.00 USD");
  assert.deepEqual(await seriousViolations(page), []);
  await screenshots(page, "renewal-review");
  // Nothing is renewed by the quote.
  let instance = await api(tenure.address, "GET", `/v1/instances/${instanceIds[0]}`);
  assert.equal(instance.expires_at, "2026-03-10T00:00:00Z");
  await page.click("text=/Renew 2 for 240.00 USD/");
  assert.match(await page.textContent("main"), /Renewed 2 instance/);
  for (const id of instanceIds.slice(0, 2)) {
    instance = await api(tenure.address, "GET", `/v1/instances/${id}`);
    assert.equal(instance.expires_at, "2026-04-10T00:00:00Z", id);
  }
  instance = await api(tenure.address, "GET", `/v1/instances/${instanceIds[2]}`);
  assert.equal(instance.expires_at, "2026-03-10T00:00:00Z");
  assert.deepEqual(await seriousViolations(page), []);
  await screenshots(page, "renewals");
  await context.close();
});

test("auto-renewal is enabled for a selection and the instance moves to the Auto tab", async () => {
  const context = await chromium.newContext();
  const page = await signIn(context, tenure.address, owner);
  await page.goto(`${tenure.address}/console/renewals?tab=manual`);
  await page.check(`#pick-${instanceIds[2]}`);
  await page.selectOption("#period", "3M");
  await page.click("text=Enable or modify auto-renewal");
  assert.match(await page.textContent("main"), /Auto-renewal set for 1 of the 1 selected/);
  assert.match(await page.textContent("main"), new RegExp(`${instanceIds[2]}: renews automatically every 3M`));
  assert.ok(await page.locator(`#pick-${instanceIds[2]}`).isVisible(), "listed on the Auto tab");
  const instance = await api(tenure.address, "GET", `/v1/instances/${instanceIds[2]}`);
  assert.equal(instance.renewal_mode, "auto");
  assert.equal(instance.auto_renew_period, "3M");
  await context.close();
});

test("a pending renewal is unsubscribed alone once its confirmation is ticked", async () => {
  const context = await chromium.newContext();
  const page = await signIn(context, tenure.address, owner);
  await page.goto(`${tenure.address}/console/unsubscribe?tab=renewals`);
  const rows = page.locator("input[name=order]");
  assert.equal(await rows.count(), 2);
  await rows.first().check();
  const button = page.locator("text=Unsubscribe the renewals");
  assert.equal(await button.isDisabled(), true);
  await page.check("#confirm-refund");
  assert.equal(await button.isDisabled(), false);
  assert.deepEqual(await seriousViolations(page), []);
  await screenshots(page, "unsubscribe-renewals");
  await button.click();
  assert.match(await page.textContent("main"), /unsubscribed, refunded in full/);
  assert.equal(await page.locator("input[name=order]").count(), 1);
  await context.close();
});

test("unsubscribing a resource needs both confirmations before its button works", async () => {
  const context = await chromium.newContext();
  const page = await signIn(context, tenure.address, owner);
  await page.goto(`${tenure.address}/console/unsubscribe`);
  await page.check(`input[name=instance][value="${instanceIds[0]}"]`);
  const button = page.locator("text=Unsubscribe now");
  assert.equal(await button.isDisabled(), true);
  await page.check("#confirm-refund");
  assert.equal(await button.isDisabled(), true, "one confirmation is not enough");
  await page.check("#confirm-backup");
  assert.equal(await button.isDisabled(), false);
  assert.deepEqual(await seriousViolations(page), []);
  await screenshots(page, "unsubscribe");
  await button.click();
  assert.match(await page.textContent("main"), /Unsubscribed 1 resource/);
  const instance = await api(tenure.address, "GET", `/v1/instances/${instanceIds[0]}`);
  assert.equal(instance.status, "unsubscribed");
  await context.close();
});

test("a read-only key sees the renewals but cannot click Renew", async () => {
  const user = await api(tenure.address, "POST", `/v1/accounts/${accountId}/users`, { name: "Reader", role: "read_only" });
  const context = await chromium.newContext();
  const page = await signIn(context, tenure.address, user.api_key);
  await page.goto(`${tenure.address}/console/renewals?tab=manual`);
  assert.equal(await page.locator("text=Review bulk renewal").isDisabled(), true);
  assert.match(await page.textContent("main"), /may look but not renew/);
  await context.close();
});

test("the balance page's forecast shows the day money runs out", async () => {
  const account = await api(tenure.address, "POST", "/v1/accounts",
    { name: "Grace Hopper", email: "grace@example.com", mobile: "+15550102" });
  await api(tenure.address, "POST", `/v1/accounts/${account.id}/deposits`, { amount: 60000, method: "bank_card" });
  for (let index = 0; index < 2; index++) {
    await api(tenure.address, "POST", "/v1/instances", {
      account: account.id, product: "message-queue", edition: "basic", spec: "tps-1000",
      region: "us-east-1", billing: "subscription", period: "1M", auto_renew: { period: "1M" },
    });
  }
  const context = await chromium.newContext();
  const page = await signIn(context, tenure.address, account.owner_key);
  await page.click('a[href="/console/balance"]');
  // 360.00 left pays the two deductions of 1 March and one of 1 April; the other of 1 April
  // and both of 1 May cannot be paid.
  assert.match(await page.textContent("[data-test=runs-out]"), /Money runs out on 2026-04-01/);
  assert.match(await page.textContent("figure.chart svg"), /Money runs out 2026-04-01/);
  assert.equal(await page.locator("figure.chart svg circle[fill='#a4161a']").count(), 3);
  assert.deepEqual(await seriousViolations(page), []);
  await screenshots(page, "balance-forecast");
  await context.close();
});

test("an upgrade shows its computation, period by period, before it is paid", async () => {
  const account = await api(tenure.address, "POST", "/v1/accounts",
    { name: "Alan Turing", email: "alan@example.com", mobile: "+15550103" });
  await api(tenure.address, "POST", `/v1/accounts/${account.id}/deposits`, { amount: 100000, method: "bank_card" });
  const bought = await api(tenure.address, "POST", "/v1/instances", {
    account: account.id, product: "message-queue", edition: "basic", spec: "tps-1000",
    region: "us-east-1", billing: "subscription", period: "1M",
  });
  const id = bought.instance.id;
  const quote = await api(tenure.address, "POST", `/v1/instances/${id}/change/quote`, { spec: "tps-5000" });
  assert.ok(quote.charge_minor > 0);
  const context = await chromium.newContext();
  const page = await signIn(context, tenure.address, account.owner_key);
  await page.goto(`${tenure.address}/console/instances/${id}`);
  assert.deepEqual(await seriousViolations(page), []);
  await screenshots(page, "instance-actions");
  await page.selectOption("#change-spec", "tps-5000");
  await page.click("text=Review change");
  const charge = (quote.charge_minor / 100).toFixed(2) + " USD";
  assert.equal(await page.textContent("[data-test=change-charge]"), charge);
  // Item by item: the period's row shows its own charge, the one the API computed.
  const row = await page.textContent("div.quote tbody tr");
  assert.ok(row.includes(((quote.periods[0].charge_minor) / 100).toFixed(2) + " USD"), row);
  assert.ok(row.includes(`${quote.periods[0].usage.used_hours} / ${quote.periods[0].usage.ordered_hours}`), row);
  assert.deepEqual(await seriousViolations(page), []);
  await screenshots(page, "change-review");
  // The quote changed nothing.
  assert.equal((await api(tenure.address, "GET", `/v1/instances/${id}`)).spec_id, "tps-1000");
  await page.click(`text=Pay ${charge} and change`);
  await page.waitForURL(new RegExp(`/console/instances/${id}$`));
  assert.equal((await api(tenure.address, "GET", `/v1/instances/${id}`)).spec_id, "tps-5000");
  assert.match(await page.textContent("main"), /instance\.upgraded/);
  const accountNow = await api(tenure.address, "GET", `/v1/accounts/${account.id}`);
  assert.equal(accountNow.balance_minor, 100000 - 12000 - quote.charge_minor);
  await context.close();
});

test("every page reads clean to axe, and the operator's pages act", async () => {
  const context = await chromium.newContext();
  const page = await signIn(context, tenure.address, ADMIN_KEY);
  await page.fill("#pick-account", accountId);
  await page.click("text=Show");
  await page.waitForURL(/\/console\/instances/);
  const orders = await api(tenure.address, "GET", `/v1/orders?account=${accountId}`);
  for (const [path, name] of [
    ["/console/orders", "orders"],
    ["/console/orders?tab=unsubscriptions", "unsubscription-records"],
    [`/console/orders/${orders.data[0].id}`, "order"],
    ["/console/notices", "notices"],
    ["/console/approvals", "approvals"],
    ["/console/stuck-steps", "stuck-steps"],
    ["/console/webhooks", "webhooks"],
    ["/console/clock", "clock"],
    ["/console/renewals?tab=auto", "renewals-auto"],
    ["/console/unsubscribe?tab=renewals", "unsubscribe-pending"],
  ]) {
    const response = await page.goto(tenure.address + path);
    assert.equal(response.status(), 200, path);
    assert.deepEqual(await seriousViolations(page), [], path);
    await screenshots(page, name);
  }
  // The unsubscription of the earlier test is on record, with its refund.
  await page.goto(`${tenure.address}/console/orders?tab=unsubscriptions`);
  assert.match(await page.textContent("main"), new RegExp(instanceIds[0]));

  // A webhook endpoint, its secret shown once.
  await page.goto(`${tenure.address}/console/webhooks`);
  await page.fill("#hook-url", "https://ops.example.com/tenure");
  await page.fill("#hook-events", "instance.expired instance.released");
  await page.click("text=Add endpoint");
  assert.match(await page.textContent("[data-test=webhook-secret]"), /^whsec_/);
  const endpoints = await api(tenure.address, "GET", "/v1/webhook-endpoints");
  assert.deepEqual(endpoints.data.at(-1).events, ["instance.expired", "instance.released"]);

  // The simulated clock, a day on.
  await page.goto(`${tenure.address}/console/clock`);
  await page.selectOption("#clock-by", "P1D");
  await page.click("text=Advance, taking every due step");
  assert.equal(await page.textContent("[data-test=clock-now]"), "2026-02-11 00:00 UTC");
  await context.close();

  // An account key cannot open the operator's pages.
  const customer = await chromium.newContext();
  const customerPage = await signIn(customer, tenure.address, owner);
  const refused = await customerPage.goto(`${tenure.address}/console/approvals`);
  assert.equal(refused.status(), 403);
  await customer.close();
});

test("the operator sees what approving a change charges before approving it", async () => {
  const account = await api(tenure.address, "POST", "/v1/accounts",
    { name: "Edsger Dijkstra", email: "edsger@example.com", mobile: "+15550104" });
  await api(tenure.address, "POST", `/v1/accounts/${account.id}/deposits`, { amount: 5000000, method: "bank_card" });
  const bought = await api(tenure.address, "POST", "/v1/instances", {
    account: account.id, product: "message-queue", edition: "enterprise-platinum", spec: "tps-100000",
    region: "us-east-1", billing: "subscription", period: "1M",
  });
  const id = bought.instance.id;
  const requested = await api(tenure.address, "POST", `/v1/instances/${id}/change`, { spec: "tps-500000" });
  assert.equal(requested.status, "pending_approval");
  const charge = (requested.charge_minor / 100).toFixed(2) + " USD";
  const context = await chromium.newContext();
  const page = await signIn(context, tenure.address, ADMIN_KEY);
  await page.goto(`${tenure.address}/console/approvals`);
  assert.equal(await page.textContent("[data-test=approval-quote]"), `charges ${charge}`);
  assert.deepEqual(await seriousViolations(page), []);
  await screenshots(page, "approvals-pending");
  await page.click(`text=Approve (charges ${charge})`);
  assert.match(await page.textContent("main"), /approved and applied/);
  assert.equal((await api(tenure.address, "GET", `/v1/instances/${id}`)).spec_id, "tps-500000");
  const after = await api(tenure.address, "GET", `/v1/accounts/${account.id}`);
  assert.equal(after.balance_minor, 5000000 - 400000 - requested.charge_minor);
  await context.close();
});
