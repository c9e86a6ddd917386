// GraphQL over HTTP audit: starts dpcma (a built binary, DPCMA_BIN) on a
// small SQLite data set and runs graphql-http's audit suite against
// /query. Every MUST audit has to pass, and at least 90% of the SHOULD
// audits; the report lists every audit that did not pass.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serverAudits } from "graphql-http";
import { startDpcma } from "../dpcma-server.mjs";

let server, workdir, url;

before(async () => {
  workdir = mkdtempSync(join(tmpdir(), "dpcma-audit-"));
  server = await startDpcma(["--db", `sqlite://${join(workdir, "audit.db")}`, "--seed", "small", "--rate-limit", "0"], 60000);
  url = `${server.base}/query`;
});

after(() => {
  server?.stop();
  if (workdir) rmSync(workdir, { recursive: true, force: true });
});

test("graphql-http audits: every MUST and at least 90% of the SHOULD audits pass", async (t) => {
  const results = await Promise.all(serverAudits({ url, fetchFn: fetch }).map(async (audit) => ({ audit, result: await audit.fn() })));
  const tally = { MUST: [0, 0], SHOULD: [0, 0], MAY: [0, 0] };
  const failed = [];
  for (const { audit, result } of results) {
    const kind = audit.name.startsWith("MUST") ? "MUST" : audit.name.startsWith("SHOULD") ? "SHOULD" : "MAY";
    tally[kind][1]++;
    if (result.status === "ok") tally[kind][0]++;
    else failed.push(`${result.status}: ${audit.name}${result.reason ? ` (${result.reason})` : ""}`);
  }
  for (const [kind, [ok, all]] of Object.entries(tally)) t.diagnostic(`${kind}: ${ok} of ${all} passed`);
  for (const f of failed) t.diagnostic(f);
  assert.equal(tally.MUST[0], tally.MUST[1], "every MUST audit passes");
  assert.ok(tally.SHOULD[0] >= 0.9 * tally.SHOULD[1], `at least 90% of SHOULD audits pass (${tally.SHOULD[0]} of ${tally.SHOULD[1]})`);
});
