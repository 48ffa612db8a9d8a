// Uses the types openapi-typescript generated from tenure's /openapi.json (scripts/test copies
// this file beside the generated `tenure.d.ts` and runs `tsc --strict --noEmit` on both).
import type { components, operations, paths } from "./tenure";

type Schemas = components["schemas"];

// A purchase's body and answer, as a client would write and read them.
const purchase: Schemas["Purchase"] = {
  account: "acct_1",
  product: "message-queue",
  edition: "basic",
  spec: "tps-5000",
  region: "us-east-1",
  billing: "subscription",
  period: "1M",
};

function expiry(answer: Schemas["PurchaseResult"]): string | null {
  return answer.instance.expires_at ?? null;
}

// An enum is a union of its strings.
const status: Schemas["InstanceStatus"] = "active";
const statuses: Schemas["InstanceStatus"][] = ["active", "expired", "unsubscribed"];

// Operations by their operationId, and paths by their template.
type Renew = operations["renewInstance"]["requestBody"];
const renew: NonNullable<Renew>["content"]["application/json"] = { period: "1M" };
type Ledger =
  paths["/v1/accounts/{id}/ledger"]["get"]["responses"][200]["content"]["application/json"];

function balanced(page: Ledger): boolean {
  return page.data.every(
    (entry) => entry.postings.reduce((sum, posting) => sum + posting.amount_minor, 0) === 0,
  );
}

// A usage report: one record, or a batch under `records`.
const one: Schemas["UsageBody"] = {
  record_id: "meter-1",
  instance: "inst_1",
  meter: "messages",
  quantity: 100,
  time: "2026-04-11T00:30:00Z",
};
const batch: Schemas["UsageBody"] = { records: [{ ...one, record_id: "meter-2" } as Schemas["RecordBody"]] };

export { purchase, expiry, status, statuses, renew, balanced, one, batch };
