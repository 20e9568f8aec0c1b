/**
 * The web app end to end in real headless Chromium (Debian's `chromium`, driven by playwright-core):
 * sign up, create and test both connectors, browse a table, create a full-load task, start it, watch the
 * run reach 100% over the WebSocket without reloading, see the run.succeeded delivery of a webhook created
 * before the run, create and revoke an API key, stream a CDC task's changes live and stop it.
 *
 * Starts its own local stack (wrangler dev + copy runner + embedded PostgreSQL with demo data) unless
 * DTAAS_E2E_URL names a running one, with DTAAS_E2E_SOURCE_URL / DTAAS_E2E_TARGET_URL for the demo source
 * and an empty target. Screenshots land in test-output/screenshots/.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import postgres from "postgres";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalStack, type LocalStack } from "../support/local-stack";

let BASE = process.env.DTAAS_E2E_URL?.replace(/\/$/, "");
let SOURCE_URL = process.env.DTAAS_E2E_SOURCE_URL;
let TARGET_URL = process.env.DTAAS_E2E_TARGET_URL;
let stack: LocalStack | undefined;
const CHROMIUM = process.env.DTAAS_E2E_CHROMIUM ?? "/usr/bin/chromium";
const SHOTS = resolve(import.meta.dirname, "../../test-output/screenshots");
const RUN_TIMEOUT_MS = Number(process.env.DTAAS_E2E_RUN_TIMEOUT_MS ?? 180_000);

const suffix = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

/** A stack of our own: its demo source, and a fresh empty target database beside it. */
async function ownStack(): Promise<void> {
  stack = await startLocalStack({ demoOrders: 20_000 });
  const dbUrl = (db: string) => Object.assign(new URL(stack!.pgUrl), { pathname: `/${db}` }).toString();
  const target = `web_e2e_${suffix}`;
  const admin = postgres(stack.pgUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE "${target}"`);
  await admin.end();
  BASE = stack.origin;
  SOURCE_URL = dbUrl("demo_source");
  TARGET_URL = dbUrl(target);
}

describe("web app in Chromium", () => {
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  const consoleErrors: string[] = [];

  const shot = async (name: string, p: Page = page) => {
    await p.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  };
  const url = (path: string) => `${BASE}${path}`;

  beforeAll(async () => {
    if (!BASE || !SOURCE_URL || !TARGET_URL) await ownStack();
    mkdirSync(SHOTS, { recursive: true });
    profile = mkdtempSync(join(tmpdir(), "dtaas-e2e-chromium-"));
    // A fresh profile per run: playwright passes it to Chromium as --user-data-dir.
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
      viewport: { width: 1366, height: 900 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on("console", (m) => {
      if (m.type() === "error") consoleErrors.push(m.text());
    });
    page.on("pageerror", (e) => consoleErrors.push(String(e)));
  }, 240_000);

  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await stack?.stop();
  }, 60_000);

  const email = `e2e-${suffix}@example.test`;
  const password = "e2e correct horse battery";
  let taskId = "";

  it("redirects to login, then signs up and shows the tenant and user", async () => {
    await page.goto(url("/tasks"));
    await page.waitForURL(/\/login/);
    await shot("login");
    await page.getByRole("link", { name: "Sign up" }).click();
    await page.getByLabel("Organisation name").fill(`E2E ${suffix}`);
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Sign up" }).click();
    await page.waitForURL(/\/connectors$/);
    await expect.poll(() => page.getByTestId("tenant-name").textContent()).toBe(`E2E ${suffix}`);
    expect(await page.getByTestId("user-email").textContent()).toBe(email);
    await shot("connectors-empty");
  });

  for (const [name, connUrl] of [
    ["e2e_source", () => SOURCE_URL!],
    ["e2e_target", () => TARGET_URL!],
  ] as const) {
    it(`creates and tests connector ${name}`, async () => {
      await page.goto(url("/connectors/new"));
      await page.getByLabel("Name").fill(name);
      await page.getByRole("textbox", { name: "Connection URL" }).fill(connUrl());
      await page.getByRole("button", { name: "Create connector" }).click();
      await page.waitForURL(/\/connectors\/[^/]+\?created=1$/);
      // The password never comes back: only the masked URL is shown.
      const masked = (await page.getByTestId("masked-url").textContent()) ?? "";
      const secret = new URL(connUrl()).password;
      if (secret) expect(masked).not.toContain(secret);
      await page.getByRole("button", { name: "Test connection" }).click();
      const result = page.getByTestId("test-result");
      await result.waitFor({ timeout: 30_000 });
      await expect.poll(() => result.textContent()).toMatch(/Connected\./);
      expect(await page.getByTestId("server-version").textContent()).toMatch(/^\d+/);
      expect(await result.textContent()).toMatch(/CDC readiness/);
      if (name === "e2e_source") await shot("connector-tested");
    });
  }

  it("browses a table's columns and rows and runs a read-only query", async () => {
    await page.goto(url("/connectors"));
    await page.getByRole("link", { name: "e2e_source" }).click();
    await page.getByRole("link", { name: "Browse database" }).click();
    const tree = page.getByRole("navigation", { name: "Schemas and tables" });
    await tree.waitFor({ timeout: 30_000 });
    await tree.getByRole("button").first().click();
    await page.getByRole("table", { name: /^Columns of/ }).waitFor();
    await page.getByRole("table", { name: /^Rows of/ }).locator("tbody tr").first().waitFor({ timeout: 30_000 });
    expect(await page.getByTestId("rows-page").textContent()).toBe("Page 1");
    const next = page.getByRole("button", { name: "Next →" });
    if (await next.isEnabled()) {
      await next.click();
      await expect.poll(() => page.getByTestId("rows-page").textContent()).toBe("Page 2");
    }
    await page.getByRole("button", { name: "Run", exact: true }).click();
    await page.getByTestId("sql-summary").waitFor({ timeout: 30_000 });
    await shot("browser");
    await page.getByLabel("SQL statement").fill("DELETE FROM pg_catalog.pg_class");
    await page.getByRole("button", { name: "Run", exact: true }).click();
    await expect.poll(() => page.getByRole("alert").filter({ hasText: "READ_ONLY_VIOLATION" }).count(), { timeout: 30_000 }).toBeGreaterThan(0);
    await shot("browser-error");
  });

  it("creates a full-load task by picking tables", async () => {
    await page.goto(url("/tasks/new"));
    await page.getByLabel("Name").fill(`e2e task ${suffix}`);
    await page.getByLabel("Source connector").selectOption({ label: "e2e_source" });
    await page.getByLabel("Target connector").selectOption({ label: "e2e_target" });
    await page.getByLabel("Full load", { exact: false }).first().check();
    const firstTable = page.locator('input[type="checkbox"][value]').first();
    await firstTable.waitFor({ timeout: 30_000 });
    // Every table of the demo's public schema (small at e2e scale; one has no primary key).
    await page.getByRole("checkbox", { name: /^public \(all/ }).check();
    await expect.poll(() => page.getByTestId("selection-count").textContent()).toMatch(/^[1-9]\d* tables? selected/);
    await page.getByLabel("Chunk rows").fill("1000");
    await shot("task-new");
    await page.getByRole("button", { name: "Create task", exact: true }).click();
    await page.waitForURL((u) => /^\/tasks\/[^/]+$/.test(u.pathname) && u.pathname !== "/tasks/new");
    taskId = new URL(page.url()).pathname.split("/").pop()!;
    await page.getByRole("heading", { name: `e2e task ${suffix}` }).waitFor();
    await shot("task-detail");
  });

  // Before the run starts: the run's end is what the webhook hears about. The receiver refuses connections
  // (port 9), so the delivery is recorded with a failed attempt and retried; its row is what we look for.
  const hookUrl = "http://127.0.0.1:9/hook";

  it("creates a webhook for run.succeeded and shows its secret once", async () => {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Webhooks" }).click();
    await page.waitForURL(/\/webhooks$/);
    await page.getByTestId("webhooks-empty").waitFor();
    // Checked locally first: no events and no URL.
    for (const box of await page.getByRole("group", { name: "Events" }).getByRole("checkbox").all()) await box.uncheck();
    await page.getByRole("button", { name: "Create webhook" }).click();
    await page.getByText("Enter the URL that receives the events.").waitFor();
    await page.getByText("Pick at least one event.").waitFor();
    await page.getByLabel("Endpoint URL").fill(hookUrl);
    await page.getByRole("checkbox", { name: /run\.succeeded/ }).check();
    await page.getByRole("button", { name: "Create webhook" }).click();
    const secret = await page.getByTestId("webhook-secret").inputValue();
    expect(secret).toMatch(/^whsec_/);
    expect(await page.getByRole("status").filter({ hasText: "shown only once" }).textContent()).toMatch(/DTaaS-Signature: t=…,v1=…/);
    const row = page.getByTestId("webhook-row").filter({ hasText: hookUrl });
    await row.waitFor();
    expect(await row.locator("ul.events li").allTextContents()).toEqual(["run.succeeded"]);
    expect(await row.getByRole("switch").isChecked()).toBe(true);
    await shot("webhook-created");
    await page.getByRole("button", { name: "Done" }).click();
    expect(await page.getByTestId("webhook-secret").count()).toBe(0);
    await page.reload();
    await page.getByTestId("webhook-row").first().waitFor();
    expect(await page.content()).not.toContain(secret);
  });

  it("starts the task and watches the run reach 100% live, without reloading", async () => {
    let navigations = 0;
    await page.goto(url(`/tasks/${taskId}`));
    await page.getByRole("button", { name: "Start" }).click();
    await page.waitForURL(/\/runs\/[^/]+$/);
    const frame = page.mainFrame();
    const onNav = (f: typeof frame) => {
      if (f === frame) navigations++;
    };
    page.on("framenavigated", onNav);
    await shot("run-started");
    await expect
      .poll(() => page.getByTestId("run-status").textContent(), { timeout: RUN_TIMEOUT_MS, interval: 500 })
      .toMatch(/succeeded|failed|stopped/);
    page.off("framenavigated", onNav);
    const status = (await page.getByTestId("run-status").textContent())?.trim();
    // Let the bars' width transition (0.4 s) finish before the picture.
    await page.waitForTimeout(600);
    await shot("run-finished");
    expect(status, await page.locator("main").innerText()).toMatch(/succeeded/);
    expect(await page.getByTestId("run-percent").textContent()).toBe("100%");
    expect(navigations).toBe(0);
    const bars = page.getByTestId("table-progress");
    expect(await bars.count()).toBeGreaterThan(0);
    // Logs arrive through GET /runs/:id/logs.
    await expect.poll(() => page.locator("ol.log li").count(), { timeout: 15_000 }).toBeGreaterThan(0);
    await page.goto(url(`/tasks/${taskId}`));
    await page.getByRole("table", { name: /Runs of this task/ }).waitFor();
    await shot("run-history");
    await page.goto(url("/tasks"));
    await shot("tasks");
  });

  it("lists the run.succeeded delivery of the webhook, with its failed attempt", async () => {
    await page.goto(url("/webhooks"));
    await page.getByTestId("webhook-row").filter({ hasText: hookUrl }).getByRole("link", { name: "Deliveries" }).click();
    await page.waitForURL(/\/webhooks\/whk_[^/]+$/);
    expect(await page.getByTestId("webhook-url").textContent()).toBe(hookUrl);
    const delivery = page.getByTestId("delivery-row").filter({ hasText: "run.succeeded" });
    // Enqueued as the run ended; the first attempt follows through the queue within seconds.
    const refresh = page.getByRole("button", { name: "Refresh", exact: true });
    await expect
      .poll(
        async () => {
          await refresh.click();
          await refresh.waitFor();
          return (await delivery.count()) ? delivery.first().getByTestId("delivery-attempts").textContent() : "none";
        },
        { timeout: 60_000, interval: 1000 },
      )
      .toMatch(/^[1-9]/);
    expect(await page.getByTestId("delivery-row").count()).toBe(1);
    expect(await delivery.getAttribute("data-status")).toMatch(/pending|failed/);
    expect(await delivery.getByTestId("delivery-answer").textContent()).toMatch(/^(no answer|HTTP \d+)$/);
    expect(await delivery.getByTestId("delivery-error").textContent()).toBeTruthy();
    await shot("webhooks");
    // Redeliver queues a new delivery of the same payload, shown on top.
    await delivery.getByRole("button", { name: "Redeliver" }).click();
    await expect.poll(() => page.getByTestId("delivery-row").count()).toBe(2);
    expect(await page.getByTestId("delivery-row").first().getAttribute("data-event")).toBe("run.succeeded");
  });

  it("creates an API key, shows it once, and revokes it", async () => {
    await page.goto(url("/api-keys"));
    await page.getByLabel("New key name").fill("e2e key");
    await page.getByRole("button", { name: "Create key" }).click();
    const key = await page.getByTestId("new-key").inputValue();
    expect(key).toMatch(/^dtaas_/);
    await shot("api-key-created");
    const row = page.getByTestId("api-key-row").filter({ hasText: "e2e key" });
    await row.getByRole("button", { name: "Revoke" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Revoke key" }).click();
    await expect.poll(() => row.textContent()).toMatch(/revoked/);
    await page.getByRole("button", { name: "Done" }).click();
    expect(await page.getByTestId("new-key").count()).toBe(0);
    await shot("api-keys");
  });

  it("lays out on a phone screen", async () => {
    const phone = await context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(url(`/tasks/${taskId}`));
    await phone.getByRole("table", { name: /Runs of this task/ }).waitFor();
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(1);
    await shot("phone-task", phone);
    await phone.goto(url("/webhooks"));
    await phone.getByTestId("webhook-row").first().waitFor();
    expect(await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(1);
    await shot("phone-webhooks", phone);
    await phone.getByTestId("webhook-row").first().getByRole("link", { name: "Deliveries" }).click();
    await phone.getByTestId("delivery-row").first().waitFor();
    expect(await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(1);
    await shot("phone-webhook-deliveries", phone);
    await phone.close();
  });

  it("deactivates the webhook, which stops redelivery, then deletes it", async () => {
    await page.goto(url("/webhooks"));
    await page.getByTestId("webhook-row").filter({ hasText: hookUrl }).getByRole("link", { name: "Deliveries" }).click();
    await page.getByTestId("delivery-row").first().waitFor();
    await page.getByRole("switch", { name: /^Active/ }).uncheck();
    await page.getByText("Inactive: no events are sent").waitFor();
    expect(await page.getByRole("button", { name: "Redeliver" }).first().isDisabled()).toBe(true);
    await page.getByRole("link", { name: "← Webhooks" }).click();
    const row = page.getByTestId("webhook-row").filter({ hasText: hookUrl });
    expect(await row.getByRole("switch").isChecked()).toBe(false);
    await row.getByRole("button", { name: "Delete" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Delete webhook" }).click();
    await page.getByTestId("webhooks-empty").waitFor();
  });

  it("streams a CDC task's changes live on the run page, then stops it and its slot is gone", async () => {
    await page.goto(url("/tasks/new"));
    await page.getByLabel("Name").fill(`e2e cdc ${suffix}`);
    await page.getByLabel("Source connector").selectOption({ label: "e2e_source" });
    await page.getByLabel("Target connector").selectOption({ label: "e2e_target" });
    await page.locator('input[name="mode"][value="cdc"]').check();
    // The demo's keyless events_log has no replica identity: change capture would refuse it, and says so.
    await expect.poll(() => page.getByTestId("no-replica-identity").count(), { timeout: 15_000 }).toBe(1);
    expect(await page.locator("li", { has: page.getByTestId("no-replica-identity") }).getByRole("checkbox").getAttribute("aria-label")).toBe("public.events_log");
    await page.getByRole("checkbox", { name: "public.customers", exact: true }).check();
    await page.getByRole("button", { name: "Create task", exact: true }).click();
    await page.waitForURL((u) => /^\/tasks\/[^/]+$/.test(u.pathname) && u.pathname !== "/tasks/new");
    const cdcTask = new URL(page.url()).pathname.split("/").pop()!;
    await page.getByRole("button", { name: "Start" }).click();
    await page.waitForURL(/\/runs\/[^/]+$/);
    await expect.poll(() => page.getByTestId("run-phase").textContent(), { timeout: 60_000, interval: 250 }).toBe("streaming");

    // Written on the source while the page is open: the figures move without a reload.
    const source = postgres(SOURCE_URL!, { max: 1, onnotice: () => {} });
    const target = postgres(TARGET_URL!, { max: 1, onnotice: () => {} });
    try {
      await source.unsafe(`INSERT INTO public.customers (id, name, email, created_at)
        SELECT 900000000 + g, 'cdc ' || g, 'cdc' || g || '-${suffix}@example.test', now() FROM generate_series(1, 50) g`);
      await expect.poll(() => page.getByTestId("cdc-changes").textContent(), { timeout: 30_000, interval: 250 }).toBe("50");
      expect(await page.getByTestId("cdc-applied-lsn").textContent()).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
      expect(await page.getByTestId("cdc-received-lsn").textContent()).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
      // Nothing is copied in cdc mode: no load percentage to show.
      expect(await page.getByTestId("run-percent").count()).toBe(0);
      await shot("run-cdc");
      // cdc mode starts from an empty target table: exactly the streamed rows are there.
      const [row] = await target<{ n: number }[]>`SELECT count(*)::int AS n FROM public.customers`;
      expect(row?.n).toBe(50);
      await page.getByRole("button", { name: "Stop" }).click();
      await expect.poll(() => page.getByTestId("run-status").textContent(), { timeout: 30_000 }).toMatch(/stopped/);
      // The socket may show "stopped" before the stop request has dropped the slot: wait for that too.
      const slots = () => source`SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE ${`dtaas_${cdcTask.toLowerCase()}%`}`;
      await expect.poll(async () => (await slots()).length, { timeout: 15_000 }).toBe(0);
    } finally {
      await Promise.all([source.end(), target.end()]);
    }
  });

  it("logs out", async () => {
    await page.getByRole("button", { name: "Log out" }).click();
    await page.waitForURL(/\/login/);
    await page.goto(url("/tasks"));
    await page.waitForURL(/\/login/);
    // 401 (signed out) and 400 (the refused DELETE above) are expected answers, not page errors.
    expect(consoleErrors.filter((e) => !/Failed to load resource.*\b(400|401)\b/.test(e))).toEqual([]);
  });
});
