import { describe, expect, it } from "vitest";
import { appendPage, checkWebhookForm, deliveryBadge, EVENT_INFO, lastAnswer, WEBHOOK_EVENTS } from "./webhooks";

describe("webhook helpers", () => {
  it("lists every event in the API's order, each described", () => {
    expect(WEBHOOK_EVENTS).toEqual(["run.succeeded", "run.failed", "run.stopped", "validation.failed", "cdc.lag_exceeded"]);
    for (const e of WEBHOOK_EVENTS) expect(EVENT_INFO[e].length).toBeGreaterThan(10);
  });

  it("accepts an absolute http(s) URL with at least one event", () => {
    expect(checkWebhookForm("https://example.com/hook", ["run.succeeded"])).toBeNull();
    expect(checkWebhookForm("  http://127.0.0.1:9/hook ", ["run.failed", "run.stopped"])).toBeNull();
  });

  it("refuses what the worker refuses (INVALID_URL, INVALID_EVENTS)", () => {
    expect(checkWebhookForm("", ["run.failed"])?.url).toMatch(/Enter the URL/);
    expect(checkWebhookForm("example.com/hook", ["run.failed"])?.url).toMatch(/absolute URL/);
    expect(checkWebhookForm("ftp://example.com/hook", ["run.failed"])?.url).toMatch(/https:\/\//);
    expect(checkWebhookForm("https://user:pw@example.com/hook", ["run.failed"])?.url).toMatch(/credentials/);
    expect(checkWebhookForm("https://example.com/hook", [])).toEqual({ events: "Pick at least one event." });
    const both = checkWebhookForm("nope", []);
    expect(both?.url).toBeTruthy();
    expect(both?.events).toBeTruthy();
  });

  it("appends a page of deliveries without repeating one already shown", () => {
    const shown = [{ id: "whd_3" }, { id: "whd_2" }];
    expect(appendPage(shown, [{ id: "whd_2" }, { id: "whd_1" }])).toEqual([{ id: "whd_3" }, { id: "whd_2" }, { id: "whd_1" }]);
    expect(appendPage([], [])).toEqual([]);
  });

  it("words a delivery's status and last answer", () => {
    expect(deliveryBadge("pending")).toEqual({ status: "queued", label: "pending" });
    expect(deliveryBadge("failed")).toEqual({ status: "failed", label: "failed" });
    expect(deliveryBadge("succeeded")).toEqual({ status: "succeeded", label: "succeeded" });
    expect(lastAnswer({ attempts: 0, lastStatusCode: null })).toBe("–");
    expect(lastAnswer({ attempts: 2, lastStatusCode: null })).toBe("no answer");
    expect(lastAnswer({ attempts: 1, lastStatusCode: 503 })).toBe("HTTP 503");
  });
});
