// Instance names and tags in headless Chromium: a named, tagged instance in the instances
// list (its name with its id beside it, its tags, the catalog's names), the tag filter, and
// the form on the instance's page that renames and retags it; checked by axe-core and
// screenshotted at desktop and phone width.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTenure, api, browser, seriousViolations, screenshots, signIn } from "./support.mjs";

let tenure;
let chromium;
let owner;
let named;
let plain;

before(async () => {
  tenure = await startTenure();
  chromium = await browser();
  const account = await api(tenure.address, "POST", "/v1/accounts",
    { name: "Ada Lovelace", email: "ada@example.com", mobile: "+15550100" });
  owner = account.owner_key;
  await api(tenure.address, "POST", `/v1/accounts/${account.id}/deposits`, { amount: 100000, method: "bank_card" });
  const bought = await api(tenure.address, "POST", "/v1/instances", {
    account: account.id, product: "message-queue", edition: "basic", spec: "tps-1000",
    region: "us-east-1", billing: "subscription", period: "1M",
    name: "billing-db", tags: ["env:prod", "team-billing"],
  });
  named = bought.instance.id;
  const other = await api(tenure.address, "POST", "/v1/instances", {
    account: account.id, product: "message-queue", edition: "basic", spec: "tps-1000",
    region: "us-east-1", billing: "subscription", period: "1M",
  });
  plain = other.instance.id;
});

after(async () => {
  await chromium?.close();
  tenure?.stop();
});

test("the instances page shows names, tags and catalog names, and filters by tag", async () => {
  const context = await chromium.newContext();
  const page = await signIn(context, tenure.address, owner);
  const link = page.locator(`a[href="/console/instances/${named}"]`);
  assert.match(await link.textContent(), /billing-db/);
  assert.match(await link.textContent(), new RegExp(named));
  assert.match(await page.textContent("main"), /Message queue \(MQTT\)/);
  assert.match(await page.textContent("main"), /team-billing/);
  assert.deepEqual(await seriousViolations(page), []);
  await screenshots(page, "instances-named");

  await page.fill("#f-tag", "env:prod");
  await page.click("form.filters button[type=submit]");
  await page.waitForURL(/tag=env%3Aprod/);
  assert.ok(await page.locator(`a[href="/console/instances/${named}"]`).isVisible());
  assert.equal(await page.locator(`a[href="/console/instances/${plain}"]`).count(), 0);
  assert.deepEqual(await seriousViolations(page), []);
  await context.close();
});

test("the rename form on an instance's page renames and retags it", async () => {
  const context = await chromium.newContext();
  const page = await signIn(context, tenure.address, owner);
  await page.goto(`${tenure.address}/console/instances/${plain}`);
  assert.deepEqual(await seriousViolations(page), []);
  await page.fill("#label-name", "ledger-queue");
  await page.fill("#label-tags", "env:dev  team-ledger");
  await page.click("text=Save name and tags");
  await page.waitForURL(new RegExp(`/console/instances/${plain}$`));
  assert.match(await page.textContent("h1"), /ledger-queue/);
  assert.match(await page.textContent("main"), /team-ledger/);
  const instance = await api(tenure.address, "GET", `/v1/instances/${plain}`);
  assert.equal(instance.name, "ledger-queue");
  assert.deepEqual(instance.tags, ["env:dev", "team-ledger"]);
  assert.deepEqual(await seriousViolations(page), []);
  await screenshots(page, "instance-named");

  // A refused tag shows the API's words, and changes nothing.
  await page.fill("#label-tags", "Upper");
  await page.click("text=Save name and tags");
  await page.waitForLoadState();
  assert.match(await page.textContent("main"), /a tag is made of/);
  assert.deepEqual((await api(tenure.address, "GET", `/v1/instances/${plain}`)).tags,
    ["env:dev", "team-ledger"]);
  await context.close();
});
