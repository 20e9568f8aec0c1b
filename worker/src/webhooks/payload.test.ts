import { describe, expect, it } from "vitest";
import { eventsForRun, validationResult, withDeliveryId } from "./payload";

describe("run event payloads", () => {
  it("maps a run end to its events", () => {
    expect(eventsForRun({ status: "succeeded", error: null })).toEqual(["run.succeeded"]);
    expect(eventsForRun({ status: "stopped", error: null })).toEqual(["run.stopped"]);
    expect(eventsForRun({ status: "failed", error: { code: "AUTH_FAILED", message: "" } })).toEqual(["run.failed"]);
    expect(eventsForRun({ status: "failed", error: { code: "VALIDATION_FAILED", message: "" } })).toEqual(["run.failed", "validation.failed"]);
    expect(eventsForRun({ status: "running", error: null })).toEqual([]);
  });

  it("sums table validation into one result", () => {
    const t = (...v: string[]) => v.map((validation) => ({ validation }));
    expect(validationResult(t("passed", "failed"))).toBe("failed");
    expect(validationResult(t("passed", "passed"))).toBe("passed");
    expect(validationResult(t("passed", "skipped"))).toBe("passed");
    expect(validationResult(t("skipped"))).toBe("skipped");
    expect(validationResult(t("passed", "pending"))).toBe("pending");
    expect(validationResult([])).toBe("pending");
  });

  it("gives a redelivered payload its new id", () => {
    expect(JSON.parse(withDeliveryId('{"id":"whd_a","event":"run.failed"}', "whd_b"))).toEqual({ id: "whd_b", event: "run.failed" });
  });
});
