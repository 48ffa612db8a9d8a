// What the console's browser tests share: a real `tenure serve` on a simulated clock, the API
// to set up data, Debian's chromium through playwright-core, the axe-core check of a page, and
// screenshots at desktop and phone width (saved as test artifacts).
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { createInterface } from "node:readline";
import { tmpdir, homedir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

export const ADMIN_KEY = "console-test-operator-key-0123456789abcdef";
const binary = process.env.TENURE_BIN ?? join(process.cwd(), "../../target/debug/tenure");
export const artifacts =
  process.env.TENURE_CONSOLE_ARTIFACTS ?? join(homedir(), ".cache/tenure-console-artifacts");
mkdirSync(artifacts, { recursive: true });

/** Starts tenure on a fresh SQLite file (with `extra` arguments to `serve`); resolves with its
 * address and a stop function. */
export async function startTenure(start = "2026-02-10T00:00:00Z", extra = []) {
  const folder = mkdtempSync(join(tmpdir(), "tenure-console-"));
  const child = spawn(
    binary,
    ["serve", "--db", `sqlite://${folder}/tenure.db`, "--listen", "127.0.0.1:0",
      "--simulated-clock", start, ...extra],
    { env: { ...process.env, TENURE_ADMIN_KEY: ADMIN_KEY, NO_COLOR: "1" } },
  );
  const address = await new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.on("line", (line) => {
      const found = line.match(/tenure listening on (http:\/\/\S+)/);
      if (found) resolve(found[1]);
    });
    child.on("exit", (code) => reject(new Error(`tenure exited with ${code}`)));
  });
  return { address, stop: () => child.kill("SIGTERM") };
}

/** Starts localstripe (PyPI, a server that speaks Stripe's API and serves a stand-in for
 * Stripe.js at /js.stripe.com/v3/) on a free port; resolves with its base URL and a stop
 * function. scripts/test installs it; TENURE_TEST_PYTHON names its interpreter. */
export async function startLocalStripe() {
  const port = await new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
  const python = process.env.TENURE_TEST_PYTHON ?? join(homedir(), ".cache/tenure-test-python/bin/python");
  const child = spawn(python, ["-m", "localstripe", "--from-scratch", "--port", String(port)],
    { stdio: "ignore" });
  let exited = null;
  child.on("exit", (code) => { exited = code; });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited !== null) throw new Error(`localstripe exited with ${exited}`);
    try {
      const answer = await fetch(`${base}/js.stripe.com/v3/`);
      if (answer.ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      child.kill("SIGTERM");
      throw new Error(`localstripe did not start on ${port}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { base, stop: () => child.kill("SIGTERM") };
}

/** Calls the API as the operator; throws on a non-2xx answer. */
export async function api(address, method, path, body) {
  const response = await fetch(address + path, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = await response.json();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(answer)}`);
  return answer;
}

export async function browser() {
  return chromium.launch({
    executablePath: process.env.TENURE_CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox"],
  });
}

const axeSource = readFileSync(join(process.cwd(), "node_modules/axe-core/axe.min.js"), "utf8");

/** Every serious or critical accessibility violation axe-core finds on the page. axe is
 * evaluated rather than added as a script tag: the card page's Content-Security-Policy
 * runs only tenure's scripts and Stripe.js. */
export async function seriousViolations(page) {
  await page.evaluate(axeSource);
  const results = await page.evaluate(async () => await globalThis.axe.run());
  return results.violations
    .filter((violation) => ["serious", "critical"].includes(violation.impact))
    .map((violation) => `${violation.id}: ${violation.help} (${violation.nodes.map((node) => node.target).join(", ")})`);
}

/** Screenshots of the page at desktop and phone width, named `name`. */
export async function screenshots(page, name) {
  for (const [width, height, label] of [[1280, 800, "desktop"], [390, 844, "phone"]]) {
    await page.setViewportSize({ width, height });
    await page.screenshot({ path: join(artifacts, `${name}-${label}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 800 });
}

/** Signs in with `key` on a new page. */
export async function signIn(context, address, key) {
  const page = await context.newPage();
  await page.goto(`${address}/console`);
  await page.fill("#key", key);
  await page.click("button[type=submit]");
  // The operator lands on the overview, an account on its instances.
  await page.waitForURL(/\/console\/(instances|overview)/);
  return page;
}
