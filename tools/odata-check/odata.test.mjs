// OData check: starts dpcma (a built binary, DPCMA_BIN) on the small demo
// data set (SQLite) with small OData pages, reads $metadata with SAP's EDMX
// parser, queries every entity set with a $filter through @odata/client,
// follows every @odata.nextLink and the navigation properties ($expand and
// navigation paths, Organisations('00C')/Practices),
// reads the decisions (Priorities, Compliance), and compares what comes
// back with the GraphQL API: the same rows and the same numbers. It also
// times pages of each set against Practices pages, interleaved.
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
  const first = await client.newRequest({ collection: set, params });
  return followPages(first, set, (next) => assert.ok(next.startsWith(`${base}/odata/${set}?`), next));
}

// followPages collects the rows of first and of every page its next links
// lead to, read with the client's own request method; checkNext holds each
// next link to the resource it must continue.
async function followPages(first, label, checkNext) {
  let page = first;
  assert.equal(page.error, undefined, `${label}: ${JSON.stringify(page.error)}`);
  const count = page["@odata.count"];
  const rows = [];
  let pages = 0;
  for (;;) {
    pages++;
    assert.ok(page.value.length <= pageSize, `a page of ${page.value.length} rows`);
    rows.push(...page.value);
    const next = page["@odata.nextLink"];
    if (!next) break;
    checkNext(next);
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

test("$metadata declares the entity sets with their keys", async () => {
  const xml = await (await fetch(`${base}/odata/$metadata`)).text();
  metadata = parse(xml);
  const keys = Object.fromEntries(metadata.schema.entitySets.map((s) => [s.name, entityType(s.name).keys.map((k) => k.name)]));
  assert.deepEqual(keys, { Organisations: ["OdsCode"], Practices: ["OdsCode"], Responses: ["Id"], Maturity: ["Period", "Code"],
    Indicators: ["Code"], Priorities: ["Period", "OrgCode", "Rank"], Compliance: ["Period", "Set", "OrgCode"] });
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
  const expandable = { Organisations: true, Practices: true, Responses: true, Maturity: false, Indicators: false, Priorities: false, Compliance: false };
  for (const set of Object.keys(expandable)) {
    const terms = Object.fromEntries(byTarget.get(`dpcma.Container/${set}`).map((a) => [a.term.slice(cap.length), a]));
    const prop = (term, name) => terms[term].record.propertyValues.find((p) => p.name === name)?.value;
    assert.equal(prop("CountRestrictions", "Countable").Bool, true, set);
    assert.equal(prop("SortRestrictions", "Sortable").Bool, true, set);
    assert.equal(prop("FilterRestrictions", "Filterable").Bool, true, set);
    assert.equal(terms.TopSupported.value.Bool, true, set);
    assert.equal(terms.SkipSupported.value.Bool, true, set);
    assert.equal(prop("ExpandRestrictions", "Expandable").Bool, expandable[set], set);
    assert.equal(prop("SearchRestrictions", "Searchable").Bool, false, set);
    // Expandable one level deep, with $select, $filter and $orderby inside.
    if (expandable[set]) assert.equal(prop("ExpandRestrictions", "MaxLevels").Int, 1, set);
    // A decision set says which property its filter must name.
    const required = prop("FilterRestrictions", "RequiredProperties");
    assert.deepEqual(required?.Collection?.map((p) => p.PropertyPath ?? p.value ?? p) ?? [], { Priorities: ["OrgCode"], Compliance: ["Set"] }[set] ?? [], set);
    // Not searchable: 501, naming the feature.
    const res = await fetch(`${base}/odata/${set}?$search=x`);
    assert.equal(res.status, 501, `${set}?$search`);
    assert.match((await res.json()).error.message, /\$search is not implemented/);
  }
  // What $expand does not do is 501 too, naming it.
  for (const [opt, feature] of [["CCG($top=1)", "$top inside $expand"], ["CCG($expand=Parent)", "$expand inside $expand"], ["*", "$expand=*"]]) {
    const res = await fetch(`${base}/odata/Practices?$expand=${encodeURIComponent(opt)}`);
    assert.equal(res.status, 501, opt);
    assert.ok((await res.json()).error.message.startsWith(feature + " is not implemented"), opt);
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

// readExpanded reads a set with $expand through the client, following the
// next links, and checks each page's budget: its rows and their expanded
// collections' rows at most the page size (a page of one row excepted).
async function readExpanded(set, params, collections) {
  const { rows, pages } = await readAllPages(set, params);
  for (const page of pages) {
    const cost = page.reduce((n, r) => n + 1 + collections.reduce((m, c) => m + r[c].length, 0), 0);
    assert.ok(page.length === 1 || cost <= pageSize, `a page of ${page.length} ${set} costs ${cost} with ${collections}`);
  }
  return rows;
}

async function readAllPages(set, params) {
  let page = await client.newRequest({ collection: set, params });
  assert.equal(page.error, undefined, JSON.stringify(page.error));
  const pages = [];
  for (;;) {
    pages.push(page.value);
    const next = page["@odata.nextLink"];
    if (!next) break;
    page = await client.requestUri(next);
    assert.equal(page.error, undefined, JSON.stringify(page.error));
  }
  return { rows: pages.flat(), pages };
}

test("navigation properties: $metadata declares them, $expand follows them, the rows are the API's", async () => {
  const navs = (set) => Object.fromEntries(entityType(set).navigationProperties.map((n) => [n.name, n]));
  assert.deepEqual(Object.keys(navs("Practices")), ["CCG", "Maturity"]);
  assert.deepEqual(Object.keys(navs("Organisations")), ["Parent", "Children", "Maturity", "Practices"]);
  assert.deepEqual(Object.keys(navs("Responses")), ["Practice", "IndicatorDefinition"]);
  assert.equal(navs("Organisations").Parent.partner, "Children");
  assert.equal(navs("Organisations").Practices.partner, "CCG");
  assert.equal(navs("Organisations").Practices.isCollection, true);
  assert.equal(navs("Practices").CCG.partner, "Practices");
  assert.equal(navs("Practices").Maturity.isCollection, true);
  const bindings = metadata.schema.entitySets.find((s) => s.name === "Practices").navigationPropertyBinding;
  assert.equal(bindings.CCG, "dpcma.Container/Organisations");

  // A region's practices with their CCG (Power BI's nested $select) and their maturity in one period.
  const params = client.newParam().filter(filter().property("RegionCode").eqString("Y54")).select(["OdsCode", "Name"])
    .expand(["CCG($select=OdsCode,Name)", `Maturity($filter=Period eq '${period}';$select=Period,Score,Level)`]);
  const rows = await readExpanded("Practices", params, ["Maturity"]);
  const api = await graphql(`query($p: String) { organisation(odsCode: "Y54") { practices(first: 1000) { edges { node {
    odsCode name ccg { odsCode name } maturity(period: $p) { score level } } } } } }`, { p: period });
  const want = api.organisation.practices.edges.map(({ node: n }) => [n.odsCode, n.name, n.ccg.odsCode, n.ccg.name, n.maturity.score, n.maturity.level].join("|")).sort();
  const got = rows.map((r) => {
    assert.equal(r.Maturity.length, 1, r.OdsCode);
    return [r.OdsCode, r.Name, r.CCG.OdsCode, r.CCG.Name, r.Maturity[0].Score, r.Maturity[0].Level].join("|");
  }).sort();
  assert.ok(want.length > pageSize);
  assert.deepEqual(got, want);

  // Every organisation's parent and children.
  const orgs = await readExpanded("Organisations", client.newParam().select(["OdsCode"]).expand(["Parent($select=OdsCode)", "Children($select=OdsCode)"]), ["Children"]);
  const tree = await graphql(`{ organisations(first: 1000) { edges { node { odsCode parent { odsCode } children(first: 1000) { edges { node { odsCode } } } } } } }`);
  const shape = (code, parent, children) => `${code}<${parent ?? ""}>${[...children].sort().join(",")}`;
  assert.deepEqual(orgs.map((o) => shape(o.OdsCode, o.Parent?.OdsCode, o.Children.map((c) => c.OdsCode))).sort(),
    tree.organisations.edges.map(({ node: n }) => shape(n.odsCode, n.parent?.odsCode, n.children.edges.map((c) => c.node.odsCode))).sort());

  // A CCG's answers with their practice and indicator.
  const answers = await readExpanded("Responses", client.newParam().filter(filter().property("CcgCode").eqString("00C").property("Period").eqString(period))
    .select(["PracticeCode", "Indicator"]).expand(["Practice($select=OdsCode,CcgCode)", "IndicatorDefinition($select=Code,Title)"]), []);
  const catalogue = await graphql(`{ indicators(first: 1000) { edges { node { code title } } } }`);
  const titles = new Map(catalogue.indicators.edges.map((e) => [e.node.code, e.node.title]));
  assert.ok(answers.length > 0);
  for (const a of answers) {
    assert.equal(a.IndicatorDefinition.Code, a.Indicator);
    assert.equal(a.IndicatorDefinition.Title, titles.get(a.Indicator));
    assert.equal(a.Practice?.OdsCode ?? null, a.PracticeCode);
  }
});

// readUri reads a resource path through the client's own request method,
// following every next link, which must continue the same path.
async function readUri(path) {
  const first = await client.requestUri(`${base}/odata/${path}`);
  const pathname = new URL(`${base}/odata/${path}`).pathname;
  return followPages(first, path, (next) => assert.equal(new URL(next).pathname, pathname, next));
}

test("navigation paths: a collection is the target set filtered by the relation, paged; a single one the entity, 204 for none", async () => {
  const { rows: practices } = await readAll("Practices", client.newParam().filter(filter().property("CcgCode").eqString("00C")).select(["OdsCode", "ListSize"]));
  const code = practices[0].OdsCode;
  const smallest = Math.min(...practices.map((p) => p.ListSize));

  // An organisation's practices (a CCG's own), with options, against the set filtered the same way.
  const opts = `$filter=${encodeURIComponent(`ListSize gt ${smallest}`)}&$select=OdsCode,Name,ListSize&$count=true`;
  const nav = await readUri(`Organisations('00C')/Practices?${opts}`);
  const set = await readAll("Practices", client.newParam().filter(`CcgCode eq '00C' and ListSize gt ${smallest}`).select(["OdsCode", "Name", "ListSize"]).count(true));
  assert.ok(set.rows.length > 0 && set.rows.length < practices.length);
  assert.deepEqual(nav.rows, set.rows);
  assert.equal(nav.count, set.count);
  // The API's practices of the CCG.
  const api = await graphql(`{ organisation(odsCode: "00C") { practices(first: 1000) { edges { node { odsCode } } } } }`);
  assert.deepEqual((await readUri("Organisations('00C')/Practices?$select=OdsCode")).rows.map((r) => r.OdsCode).sort(),
    api.organisation.practices.edges.map((e) => e.node.odsCode).sort());

  // A practice's maturity rows, every period, over several pages (six
  // periods, pages of four); in a chosen order.
  for (const q of ["", `?$orderby=${encodeURIComponent("Period desc")}&$select=Period,Score`]) {
    const m = await readUri(`Practices('${code}')/Maturity${q}`);
    const params = client.newParam().filter(`Code eq '${code}'`);
    if (q) params.select(["Period", "Score"]).orderby("Period", "desc");
    const want = await readAll("Maturity", params);
    assert.ok(m.rows.length > pageSize);
    assert.deepEqual(m.rows, want.rows);
  }
  // Children, and /$count of a navigation as text.
  const children = await readUri("Organisations('ENG')/Children");
  const regions = await readAll("Organisations", client.newParam().filter("ParentCode eq 'ENG'"));
  assert.deepEqual(children.rows, regions.rows);
  const counted = await fetch(`${base}/odata/Organisations('00C')/Practices/$count?$filter=${encodeURIComponent(`ListSize gt ${smallest}`)}`);
  assert.match(counted.headers.get("content-type"), /^text\/plain/);
  assert.equal(Number(await counted.text()), set.count);

  // Single-valued: the entity its key lookup gives; none is 204; an unknown key 404.
  const ccg = await client.requestUri(`${base}/odata/Practices('${code}')/CCG`);
  const org = await client.newRequest({ collection: "Organisations", id: "00C" });
  assert.deepEqual(ccg, org);
  const parent = await client.requestUri(`${base}/odata/Organisations('00C')/Parent?$select=OdsCode,Tier`);
  assert.equal(parent.OdsCode, org.ParentCode);
  assert.equal(parent.Tier, "STP");
  const none = await fetch(`${base}/odata/Organisations('ENG')/Parent`);
  assert.equal(none.status, 204);
  assert.equal(await none.text(), "");
  const missing = await fetch(`${base}/odata/Practices('Z99999')/CCG`);
  assert.equal(missing.status, 404);
  assert.match((await missing.json()).error.message, /Practices has no entity with the key \('Z99999'\)/);
});

test("Organisations with $expand=Practices: each CCG's practices, every practice once, pages within the budget", async () => {
  const orgs = await readExpanded("Organisations", client.newParam().select(["OdsCode", "Tier"]).expand(["Practices($select=OdsCode)"]), ["Practices"]);
  const all = (await readAll("Practices", client.newParam().select(["OdsCode", "CcgCode"]))).rows;
  const byCcg = new Map();
  for (const p of all) byCcg.set(p.CcgCode, [...(byCcg.get(p.CcgCode) ?? []), p.OdsCode]);
  for (const o of orgs) {
    assert.deepEqual(o.Practices.map((p) => p.OdsCode).sort(), (byCcg.get(o.OdsCode) ?? []).sort(), o.OdsCode);
    if (o.Tier !== "CCG") assert.equal(o.Practices.length, 0, o.OdsCode);
  }
  assert.equal(orgs.reduce((n, o) => n + o.Practices.length, 0), all.length);
});

test("key lookups with $expand, and the decisions as sets: priorities and compliance, the API's numbers", async () => {
  const one = await client.newRequest({ collection: "Organisations", id: "00C", params: client.newParam().expand(["Parent", "Maturity($select=Period,Score)"]) });
  assert.equal(one.error, undefined, JSON.stringify(one.error));
  assert.equal(one.Parent.OdsCode, one.ParentCode);
  assert.ok(one.Maturity.length > 1);

  const { rows: priorities, count } = await readAll("Priorities", client.newParam().filter(`OrgCode eq '00C' and Period eq '${period}'`).count(true));
  checkTypes("Priorities", priorities);
  const api = await graphql(`query($p: String) { organisation(odsCode: "00C") { priorities(period: $p, first: 1000) {
    indicator { code } shortCount patientsAffected scoreGain levelUpCount } } }`, { p: period });
  assert.ok(api.organisation.priorities.length > 0);
  assert.equal(count, api.organisation.priorities.length);
  assert.deepEqual(priorities.map((p) => [p.Rank, p.Indicator, p.ShortCount, p.PatientsAffected, p.ScoreGain, p.LevelUpCount]),
    api.organisation.priorities.map((p, i) => [i + 1, p.indicator.code, p.shortCount, p.patientsAffected, p.scoreGain, p.levelUpCount]));

  const { rows: compliance } = await readAll("Compliance", client.newParam().filter(`Set eq 'GMS-2017-18' and Period eq '2017-18-H2' and Tier eq 'CCG'`));
  checkTypes("Compliance", compliance);
  const ccgs = await graphql(`{ organisations(first: 1000, where: {tier: CCG}) { edges { node { odsCode
    compliance(set: "GMS-2017-18", period: "2017-18-H2") { practiceCount metCount unknownCount shareMet } } } } }`);
  assert.deepEqual(compliance.map((c) => [c.OrgCode, c.PracticeCount, c.MetCount, c.UnknownCount, c.ShareMet]).sort(),
    ccgs.organisations.edges.map(({ node: n }) => [n.odsCode, n.compliance.practiceCount, n.compliance.metCount, n.compliance.unknownCount, n.compliance.shareMet]).sort());

  const missing = await fetch(`${base}/odata/Priorities`);
  assert.equal(missing.status, 400);
  assert.match((await missing.json()).error.message, /Priorities needs the organisation whose priorities: \$filter=OrgCode eq/);
});

// Every set's page costs about what a Practices page of the same size
// does (the target: within 3x): the sixth page of each (the decisions'
// too), timed interleaved with the sixth Practices page, medians compared.
test("page time: every set's pages within 3x of a Practices page, interleaved medians", async () => {
  const sixth = async (path) => {
    for (let i = 0; i < 5; i++) {
      const body = await (await fetch(base + path)).json();
      if (!body["@odata.nextLink"]) break;
      path = new URL(body["@odata.nextLink"]).pathname + new URL(body["@odata.nextLink"]).search;
    }
    return path;
  };
  const paths = {
    Practices: await sixth("/odata/Practices"),
    Maturity: await sixth("/odata/Maturity"),
    Responses: await sixth("/odata/Responses"),
    "Practices with CCG and Maturity": await sixth("/odata/Practices?$expand=CCG,Maturity"),
    // The decisions, as a BI tool reads them: every organisation's
    // compliance with a set, and England's priorities.
    Compliance: await sixth(`/odata/Compliance?$filter=${encodeURIComponent("Set eq 'GMS-2017-18'")}`),
    Priorities: await sixth(`/odata/Priorities?$filter=${encodeURIComponent("OrgCode eq 'ENG'")}`),
  };
  const times = Object.fromEntries(Object.keys(paths).map((k) => [k, []]));
  for (let round = 0; round < 25; round++) {
    for (const [name, path] of Object.entries(paths)) {
      const start = performance.now();
      const res = await fetch(base + path);
      await res.arrayBuffer();
      assert.equal(res.status, 200, path);
      times[name].push(performance.now() - start);
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const practices = median(times.Practices);
  for (const [name, xs] of Object.entries(times)) {
    const ratio = median(xs) / practices;
    console.log(`${name}: median ${median(xs).toFixed(2)} ms, ${ratio.toFixed(2)}x a Practices page`);
    assert.ok(ratio <= 3, `${name} pages take ${ratio.toFixed(2)}x a Practices page`);
  }
});
