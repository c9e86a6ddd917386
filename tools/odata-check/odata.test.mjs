// OData check: starts dpcma (a built binary, DPCMA_BIN) on the small demo
// data set (SQLite) with small OData pages, reads $metadata with SAP's EDMX
// parser, queries every entity set with a $filter through @odata/client,
// follows every @odata.nextLink, and compares what comes back with the
// GraphQL API: the same rows and the same numbers.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OData } from "@odata/client";
import { parse } from "@sap-ux/edmx-parser";
import { startDpcma } from "../dpcma-server.mjs";

const pageSize = 4; // the small data set then spans many pages

let dpcma, workdir, client, metadata, base;

before(async () => {
  workdir = mkdtempSync(join(tmpdir(), "dpcma-odata-"));
  dpcma = await startDpcma(["--db", `sqlite://${join(workdir, "odata.db")}`, "--seed", "small", "--rate-limit", "0",
    "--odata-page-size", String(pageSize)], 120_000);
  base = dpcma.base;
  client = OData.New4({ serviceEndpoint: `${base}/odata/` });
});

after(() => {
  dpcma?.stop();
  if (workdir) rmSync(workdir, { recursive: true, force: true });
});

async function graphql(query, variables) {
  const res = await fetch(`${base}/query`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return body.data;
}

// readAll runs a query through the client and follows every next link with
// the client's own request method; it returns the rows, the count of the
// first page and the number of pages.
async function readAll(set, params) {
  let page = await client.newRequest({ collection: set, params });
  assert.equal(page.error, undefined, JSON.stringify(page.error));
  const count = page["@odata.count"];
  const rows = [];
  let pages = 0;
  for (;;) {
    pages++;
    assert.ok(page.value.length <= pageSize, `a page of ${page.value.length} rows`);
    rows.push(...page.value);
    const next = page["@odata.nextLink"];
    if (!next) break;
    assert.ok(next.startsWith(`${base}/odata/${set}?`), next);
    page = await client.requestUri(next);
    assert.equal(page.error, undefined, JSON.stringify(page.error));
  }
  return { rows, count, pages };
}

function entityType(set) {
  const es = metadata.schema.entitySets.find((s) => s.name === set);
  assert.ok(es, `$metadata has no entity set ${set}`);
  return metadata.schema.entityTypes.find((t) => t.fullyQualifiedName === es.entityTypeName);
}

// checkTypes holds every row to the property types $metadata declares.
function checkTypes(set, rows) {
  const props = new Map(entityType(set).entityProperties.map((p) => [p.name, p]));
  const jsType = { "Edm.String": "string", "Edm.Int64": "number", "Edm.Double": "number", "Edm.Boolean": "boolean", "Edm.DateTimeOffset": "string" };
  for (const row of rows) {
    for (const [name, value] of Object.entries(row)) {
      const p = props.get(name);
      assert.ok(p, `${set} row has ${name}, which $metadata does not declare`);
      if (value === null) {
        assert.notEqual(p.nullable, false, `${set}.${name} is null but declared Nullable="false"`);
      } else {
        assert.equal(typeof value, jsType[p.type], `${set}.${name} = ${JSON.stringify(value)} is not ${p.type}`);
      }
    }
  }
}

const filter = () => client.newFilter();
const period = "2016-17-H2";

test("$metadata declares the four entity sets with their keys", async () => {
  const xml = await (await fetch(`${base}/odata/$metadata`)).text();
  metadata = parse(xml);
  const keys = Object.fromEntries(metadata.schema.entitySets.map((s) => [s.name, entityType(s.name).keys.map((k) => k.name)]));
  assert.deepEqual(keys, { Organisations: ["OdsCode"], Practices: ["OdsCode"], Responses: ["Id"], Maturity: ["Period", "Code"] });
});

test("Organisations: the CCGs, as the API lists them", async () => {
  const { rows, count, pages } = await readAll("Organisations", client.newParam().filter(filter().property("Tier").eqString("CCG")).count(true));
  checkTypes("Organisations", rows);
  const api = await graphql(`{ organisations(first: 1000, where: {tier: CCG}) { edges { node { odsCode name } } } }`);
  const want = api.organisations.edges.map((e) => `${e.node.odsCode} ${e.node.name}`).sort();
  assert.deepEqual(rows.map((r) => `${r.OdsCode} ${r.Name}`).sort(), want);
  assert.equal(count, want.length);
  assert.ok(pages >= Math.ceil(want.length / pageSize));
});

test("Practices: a region's practices, as the API lists them", async () => {
  const params = client.newParam().filter(filter().property("RegionCode").eqString("Y54")).count(true).select(["OdsCode", "Name", "ListSize", "CcgCode"]);
  const { rows, count, pages } = await readAll("Practices", params);
  checkTypes("Practices", rows);
  const api = await graphql(`{ organisation(odsCode: "Y54") { practices(first: 1000) { edges { node { odsCode name listSize ccg { odsCode } } } } } }`);
  const want = api.organisation.practices.edges.map((e) => `${e.node.odsCode}|${e.node.name}|${e.node.listSize}|${e.node.ccg.odsCode}`).sort();
  assert.deepEqual(rows.map((r) => `${r.OdsCode}|${r.Name}|${r.ListSize}|${r.CcgCode}`).sort(), want);
  assert.equal(count, want.length);
  assert.ok(pages > 1);
});

test("Practices: the attributes GraphQL filters on are properties the server filters on", async () => {
  const params = client.newParam().filter(filter().property("ContractType").eqString("GMS").property("Dispensing").eq(true)).count(true)
    .select(["OdsCode", "Status", "ContractType", "Dispensing", "Rurality", "WeightedPatients", "ClinicalSystem"]);
  const { rows, count } = await readAll("Practices", params);
  checkTypes("Practices", rows);
  const api = await graphql(`{ practices(first: 1000, where: {contractType: GMS, dispensing: true}) { totalCount edges { node {
    odsCode status contractType dispensing rurality weightedPatients clinicalSystem } } } }`);
  const key = (p) => [p.odsCode, p.status, p.contractType, p.dispensing, p.rurality, p.weightedPatients, p.clinicalSystem].join("|");
  const want = api.practices.edges.map((e) => key(e.node)).sort();
  assert.ok(want.length > 0);
  assert.equal(count, api.practices.totalCount);
  assert.deepEqual(rows.map((r) => key({ odsCode: r.OdsCode, status: r.Status, contractType: r.ContractType, dispensing: r.Dispensing,
    rurality: r.Rurality, weightedPatients: r.WeightedPatients, clinicalSystem: r.ClinicalSystem })).sort(), want);
});

// Power BI folds "begins with", "contains" (with tolower when case is
// ignored), "is in" and date steps into these filters.
test("$filter functions, in, signed numbers and date-time literals fold to the server", async () => {
  const { rows: all } = await readAll("Practices", client.newParam().select(["OdsCode", "Name", "ListSize"]));
  const word = all[0].Name.split(" ").at(-1);
  const cases = [
    [`contains(Name, '${word}')`, (r) => r.Name.includes(word)],
    [`contains(Name, '${word.toLowerCase()}')`, (r) => r.Name.includes(word.toLowerCase())],
    [`contains(tolower(Name), '${word.toLowerCase()}')`, (r) => r.Name.toLowerCase().includes(word.toLowerCase())],
    [`startswith(OdsCode, 'A8') and not endswith(OdsCode, '1')`, (r) => r.OdsCode.startsWith("A8") && !r.OdsCode.endsWith("1")],
    [`toupper(Name) eq '${all[0].Name.toUpperCase()}'`, (r) => r.Name.toUpperCase() === all[0].Name.toUpperCase()],
    [`ListSize gt +5000`, (r) => r.ListSize > 5000],
    [`OdsCode in ('${all[1].OdsCode}', '${all[2].OdsCode}')`, (r) => r.OdsCode === all[1].OdsCode || r.OdsCode === all[2].OdsCode],
  ];
  for (const [f, want] of cases) {
    const { rows, count } = await readAll("Practices", client.newParam().filter(f).count(true).select(["OdsCode"]));
    const expected = all.filter(want).map((r) => r.OdsCode).sort();
    assert.deepEqual(rows.map((r) => r.OdsCode).sort(), expected, f);
    assert.equal(count, expected.length, f);
  }
  // The client's own "in" builder.
  const { rows: tiers } = await readAll("Organisations", client.newParam().filter(filter().property("Tier").in(["REGION", "STP"])));
  const api = await graphql(`{ organisations(where: {tierIn: [REGION, STP]}) { totalCount } }`);
  assert.equal(tiers.length, api.organisations.totalCount);
  // Answers by date: the same as the API's answers submitted in the range.
  const answers = (await readAll("Responses", client.newParam().filter(filter().property("CcgCode").eqString("00C")).select(["Id", "SubmittedAt"]))).rows;
  const mid = new Date(answers[Math.floor(answers.length / 2)].SubmittedAt);
  for (const [f, want] of [
    [`SubmittedAt ge ${mid.toISOString()}`, (t) => t >= mid],
    [`SubmittedAt lt ${mid.toISOString().slice(0, 10)}`, (t) => t < new Date(mid.toISOString().slice(0, 10) + "T00:00:00Z")],
    [`year(SubmittedAt) eq ${mid.getUTCFullYear()}`, (t) => t.getUTCFullYear() === mid.getUTCFullYear()],
  ]) {
    const { count } = await readAll("Responses", client.newParam().filter(`CcgCode eq '00C' and ${f}`).count(true).select(["Id"]));
    const expected = answers.filter((r) => want(new Date(r.SubmittedAt))).length;
    assert.ok(expected > 0 && expected < answers.length, f);
    assert.equal(count, expected, f);
  }
});

const answerKey = (code, a) => [code ?? "", a.indicator, a.value ?? "", a.numericValue ?? "", a.notApplicable, a.score ?? ""].join("|");

test("Responses: a CCG's answers and its practices', as the API gives them", async () => {
  const params = client.newParam().filter(filter().property("CcgCode").eqString("00C").property("Period").eqString(period)).count(true);
  const { rows, count, pages } = await readAll("Responses", params);
  checkTypes("Responses", rows);
  const answers = `edges { node { value numericValue notApplicable score indicator { code } } }`;
  const api = await graphql(`query($p: String) { organisation(odsCode: "00C") { responses(period: $p, first: 1000) { ${answers} }
    practices(first: 500) { edges { node { odsCode responses(period: $p, first: 1000) { ${answers} } } } } } }`, { p: period });
  const flat = (code, e) => answerKey(code, { ...e.node, indicator: e.node.indicator.code });
  const want = [
    ...api.organisation.responses.edges.map((e) => flat(null, e)),
    ...api.organisation.practices.edges.flatMap((p) => p.node.responses.edges.map((e) => flat(p.node.odsCode, e))),
  ].sort();
  const got = rows.map((r) => answerKey(r.PracticeCode, { indicator: r.Indicator, value: r.Value, numericValue: r.NumericValue, notApplicable: r.NotApplicable, score: r.Score })).sort();
  assert.ok(want.length > 0);
  assert.equal(count, want.length);
  assert.deepEqual(got, want);
  assert.ok(pages > 10);
});

// The Maturity property of a domain's score: Score and the domain's words.
const domainProperty = (d) => "Score" + d.split(/[^A-Za-z0-9]+/).filter(Boolean).map((w) => w[0].toUpperCase() + w.slice(1).toLowerCase()).join("");

test("Maturity: a CCG and its practices, with the API's numbers", async () => {
  const params = client.newParam().filter(filter().property("CcgCode").eqString("00C").property("Period").eqString(period)).count(true);
  const { rows, count } = await readAll("Maturity", params);
  checkTypes("Maturity", rows);
  const m = `score level levelName completion practiceCount respondedPracticeCount patientWeightedScore byDomain { domain score }`;
  const api = await graphql(`query($p: String) { organisation(odsCode: "00C") { odsCode maturity(period: $p) { ${m} }
    practices(first: 500) { edges { node { odsCode maturity(period: $p) { ${m} } } } } } }`, { p: period });
  const want = new Map([[api.organisation.odsCode, api.organisation.maturity], ...api.organisation.practices.edges.map((e) => [e.node.odsCode, e.node.maturity])]);
  assert.equal(rows.length, want.size);
  assert.equal(count, want.size);
  for (const row of rows) {
    const w = want.get(row.Code);
    assert.ok(w, `unexpected row ${row.Code}`);
    assert.equal(row.Period, period);
    assert.equal(row.Domain, null, "a row of all domains has a null Domain");
    for (const [prop, field] of [["Score", "score"], ["Level", "level"], ["LevelName", "levelName"], ["Completion", "completion"],
      ["PracticeCount", "practiceCount"], ["RespondedPracticeCount", "respondedPracticeCount"], ["PatientWeightedScore", "patientWeightedScore"]]) {
      assert.equal(row[prop], w[field], `${row.Code} ${prop}`);
    }
    for (const d of w.byDomain) assert.equal(row[domainProperty(d.domain)], d.score, `${row.Code} ${d.domain}`);
  }
});

test("a bad $filter is a 400 with an OData error", async () => {
  const res = await fetch(`${base}/odata/Practices?$filter=${encodeURIComponent("ListSize gt 'big'")}`);
  assert.equal(res.status, 400);
  const body = await res.json();
  assert.equal(body.error.code, "BAD_USER_INPUT");
  assert.match(body.error.message, /ListSize is a number property/);
});

test("$metadata's Capabilities annotations say what the feed does, and the feed does it", async () => {
  const byTarget = new Map(metadata.schema.annotations.serviceFile.map((a) => [a.target, a.annotations]));
  const cap = "Org.OData.Capabilities.V1.";
  const functions = byTarget.get("dpcma.Container").find((a) => a.term === cap + "FilterFunctions").collection.map((s) => s.String);
  assert.deepEqual(functions, ["contains", "startswith", "endswith", "tolower", "toupper", "year"]);
  // Each advertised function is taken.
  for (const f of functions) {
    const filterText = f === "year" ? "year(SubmittedAt) ge 2016" : ["tolower", "toupper"].includes(f) ? `${f}(Indicator) ne 'x'` : `${f}(Indicator, 'P')`;
    const page = await client.newRequest({ collection: "Responses", params: client.newParam().filter(filterText).top(1) });
    assert.equal(page.error, undefined, `${f}: ${JSON.stringify(page.error)}`);
  }
  for (const set of ["Organisations", "Practices", "Responses", "Maturity"]) {
    const terms = Object.fromEntries(byTarget.get(`dpcma.Container/${set}`).map((a) => [a.term.slice(cap.length), a]));
    const prop = (term, name) => terms[term].record.propertyValues.find((p) => p.name === name).value.Bool;
    assert.equal(prop("CountRestrictions", "Countable"), true, set);
    assert.equal(prop("SortRestrictions", "Sortable"), true, set);
    assert.equal(prop("FilterRestrictions", "Filterable"), true, set);
    assert.equal(terms.TopSupported.value.Bool, true, set);
    assert.equal(terms.SkipSupported.value.Bool, true, set);
    assert.equal(prop("ExpandRestrictions", "Expandable"), false, set);
    assert.equal(prop("SearchRestrictions", "Searchable"), false, set);
    // Not expandable and not searchable: 501, naming the feature.
    for (const opt of ["$expand=Ccg", "$search=x"]) {
      const res = await fetch(`${base}/odata/${set}?${opt}`);
      assert.equal(res.status, 501, `${set}?${opt}`);
      assert.match((await res.json()).error.message, new RegExp(`\\${opt.split("=")[0]} is not implemented`));
    }
  }
});

test("Accept and odata.metadata: 406 for a form the feed cannot give, none, minimal and full honoured", async () => {
  assert.equal((await fetch(`${base}/odata/Practices`, { headers: { accept: "application/atom+xml" } })).status, 406);
  assert.equal((await fetch(`${base}/odata/$metadata`, { headers: { accept: "application/json" } })).status, 406);
  for (const level of ["none", "minimal", "full"]) {
    const res = await fetch(`${base}/odata/Practices?$top=2&$count=true&$select=Name`, { headers: { accept: `application/json;odata.metadata=${level}` } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type"), new RegExp(`odata.metadata=${level}`));
    const body = await res.json();
    assert.equal("@odata.context" in body, level !== "none", level);
    assert.equal(typeof body["@odata.count"], "number", level);
    for (const row of body.value) {
      assert.equal("@odata.id" in row, level === "full", level);
      if (level === "full") {
        // The entity's id is a URL the feed answers (key lookups).
        assert.match(row["@odata.id"], new RegExp(`^${base}/odata/Practices\\('[A-Z0-9]+'\\)$`));
        assert.equal(row["@odata.type"], "#dpcma.Practice");
      }
    }
  }
});

test("key lookups: the client's own key URLs answer one entity, the same as the set's row; a missing key is 404", async () => {
  const { rows: practices } = await readAll("Practices", client.newParam().top(1));
  const code = practices[0].OdsCode;
  for (const [collection, id, f] of [
    ["Practices", code, `OdsCode eq '${code}'`],
    ["Organisations", "00C", "OdsCode eq '00C'"],
    ["Maturity", { Period: period, Code: "00C" }, `Period eq '${period}' and Code eq '00C'`],
    ["Maturity", { Period: period, Code: code }, `Period eq '${period}' and Code eq '${code}'`],
  ]) {
    const entity = await client.newRequest({ collection, id });
    assert.equal(entity.error, undefined, `${collection} ${JSON.stringify(id)}: ${JSON.stringify(entity.error)}`);
    const { rows } = await readAll(collection, client.newParam().filter(f));
    assert.equal(rows.length, 1);
    const { "@odata.context": ctx, ...props } = entity;
    assert.equal(ctx, `${base}/odata/$metadata#${collection}/$entity`);
    assert.deepEqual(props, rows[0]);
  }
  // A response by its number: the API's answer.
  const { rows: answers } = await readAll("Responses", client.newParam().top(1).filter(filter().property("PracticeCode").eqString(code)));
  const answer = await client.newRequest({ collection: "Responses", id: answers[0].Id });
  assert.equal(answer.Id, answers[0].Id);
  assert.equal(answer.Value, answers[0].Value);
  const missing = await fetch(`${base}/odata/Practices('Z99999')`);
  assert.equal(missing.status, 404);
  assert.match((await missing.json()).error.message, /Practices has no entity with the key \('Z99999'\)/);
});
