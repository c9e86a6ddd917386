// Federation check: starts dpcma (a built binary, DPCMA_BIN) on the England
// demo data (SQLite) and a second subgraph, "workforce", that extends
// Practice and Organisation by their keys and refers to indicators and
// periods; composes both with Apollo composition and queries them through
// Apollo Gateway, so that each subgraph must resolve the other's entities.
// The gateway reaches dpcma through a proxy that records what it asks:
// a gateway never selects the key it already holds.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "graphql";
import gql from "graphql-tag";
import { composeServices } from "@apollo/composition";
import { ApolloGateway } from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { startDpcma } from "../dpcma-server.mjs";

let dpcmaURL;

// The workforce subgraph's own data, deterministic per ODS code.
const codeSum = (code) => [...code].reduce((s, c) => s + c.charCodeAt(0), 0);
const gpHeadcount = (odsCode) => 1 + (codeSum(odsCode) % 9);
const trainingPlaces = (odsCode) => 2 + (codeSum(odsCode) % 5);

let dpcma, workdir, workforce, workforceURL, gatewayServer, gatewayURL;
let proxy, proxyURL;
let someCodes, allCodes, hubCodes, censusPeriod;
// Bodies of the requests the gateway sent to dpcma, in order.
let sentToDpcma = [];

async function post(url, query, variables) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  assert.equal(res.status, 200, `${url} answered ${res.status}`);
  return res.json();
}

// direct asks dpcma itself, with the keys selected, for the reference answer.
async function direct(query, variables) {
  const res = await post(dpcmaURL, query, variables);
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  return res.data;
}

// The _entities requests the gateway sent since `from`, with the
// typenames of their representations.
function entityRequests(from) {
  return sentToDpcma
    .slice(from)
    .filter((b) => b.query.includes("_entities"))
    .map((b) => ({ query: b.query, types: [...new Set(b.variables.representations.map((r) => r.__typename))], count: b.variables.representations.length }));
}

before(async () => {
  workdir = mkdtempSync(join(tmpdir(), "dpcma-fed-"));
  dpcma = await startDpcma(["--db", `sqlite://${join(workdir, "fed.db")}`, "--seed", "england",
    // The gateway and the tests all come from loopback: one client to the rate limit.
    "--rate-limit", "0"], 180000);
  dpcmaURL = `${dpcma.base}/query`;

  proxy = createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks).toString();
    sentToDpcma.push(JSON.parse(body));
    const upstream = await fetch(dpcmaURL, { method: "POST", headers: { "content-type": req.headers["content-type"] }, body });
    res.writeHead(upstream.status, { "content-type": upstream.headers.get("content-type") });
    res.end(Buffer.from(await upstream.arrayBuffer()));
  });
  await new Promise((r) => proxy.listen(0, "127.0.0.1", r));
  proxyURL = `http://127.0.0.1:${proxy.address().port}/query`;

  const pageOfCodes = `query($after: Cursor) { practices(first: 1000, after: $after, orderBy: {field: ODS_CODE, direction: ASC}) {
    edges { node { odsCode } } pageInfo { endCursor } } }`;
  const first = await direct(pageOfCodes);
  const second = await direct(pageOfCodes, { after: first.practices.pageInfo.endCursor });
  allCodes = [...first.practices.edges, ...second.practices.edges].map((e) => e.node.odsCode).slice(0, 1500);
  someCodes = allCodes.slice(0, 3);
  hubCodes = (await direct(`{ organisations(first: 3, where: {tier: CCG}, orderBy: {field: ODS_CODE, direction: ASC}) { edges { node { odsCode } } } }`))
    .organisations.edges.map((e) => e.node.odsCode);
  censusPeriod = (await direct(`{ periods(first: 1, orderBy: {field: CODE, direction: DESC}) { edges { node { code } } } }`)).periods.edges[0].node.code;

  const typeDefs = gql`
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
    type Practice @key(fields: "odsCode") {
      odsCode: String!
      "GPs working at the practice (workforce subgraph)."
      gpHeadcount: Int!
    }
    type Organisation @key(fields: "odsCode") {
      odsCode: String!
      "GP training places the organisation's hub offers (workforce subgraph)."
      trainingPlaces: Int!
    }
    type Indicator @key(fields: "code", resolvable: false) {
      code: String!
    }
    type AssessmentPeriod @key(fields: "code", resolvable: false) {
      code: String!
    }
    "A workforce census, filed against a dpcma period and indicator."
    type Census {
      period: AssessmentPeriod!
      indicator: Indicator!
    }
    type Query {
      "Practices short of GPs, as references that dpcma completes."
      understaffedPractices: [Practice!]!
      "Every practice the workforce survey covered (over 1,000)."
      surveyedPractices: [Practice!]!
      "Practices as the workforce team recorded them, one code unknown to dpcma."
      recordedPractices: [Practice]!
      "CCGs that run a GP training hub."
      trainingHubs: [Organisation!]!
      latestCensus: Census!
    }
  `;
  const resolvers = {
    Query: {
      understaffedPractices: () => someCodes.map((odsCode) => ({ odsCode })),
      surveyedPractices: () => allCodes.map((odsCode) => ({ odsCode })),
      recordedPractices: () => [someCodes[0], "Z99999", someCodes[1]].map((odsCode) => ({ odsCode })),
      trainingHubs: () => hubCodes.map((odsCode) => ({ odsCode })),
      latestCensus: () => ({ period: { code: censusPeriod }, indicator: { code: "IN02" } }),
    },
    Practice: {
      __resolveReference: (ref) => ({ odsCode: ref.odsCode }),
      gpHeadcount: (p) => gpHeadcount(p.odsCode),
    },
    Organisation: {
      __resolveReference: (ref) => ({ odsCode: ref.odsCode }),
      trainingPlaces: (o) => trainingPlaces(o.odsCode),
    },
  };
  workforce = new ApolloServer({ schema: buildSubgraphSchema([{ typeDefs, resolvers }]) });
  ({ url: workforceURL } = await startStandaloneServer(workforce, { listen: { port: 0, host: "127.0.0.1" } }));
});

after(async () => {
  await gatewayServer?.stop();
  await workforce?.stop();
  proxy?.close();
  dpcma?.stop();
  if (workdir) rmSync(workdir, { recursive: true, force: true });
});

let supergraphSdl;

test("dpcma's _service SDL is a Federation 2 subgraph with the four entity keys", async () => {
  const sdl = (await direct("{ _service { sdl } }"))._service.sdl;
  assert.match(sdl, /@link\(url: "https:\/\/specs\.apollo\.dev\/federation\/v2\.\d+"/);
  for (const [type, key] of [["Organisation", "odsCode"], ["Practice", "odsCode"], ["Indicator", "code"], ["AssessmentPeriod", "code"]]) {
    assert.match(sdl, new RegExp(`type ${type} implements Node @key\\(fields: "${key}"\\)`), `${type} keyed by ${key}`);
  }
});

test("composition of dpcma and workforce succeeds", async () => {
  const dpcmaSDL = (await direct("{ _service { sdl } }"))._service.sdl;
  const workforceSDL = (await post(workforceURL, "{ _service { sdl } }")).data._service.sdl;
  const result = composeServices([
    { name: "dpcma", typeDefs: parse(dpcmaSDL), url: proxyURL },
    { name: "workforce", typeDefs: parse(workforceSDL), url: workforceURL },
  ]);
  assert.deepEqual(result.errors ?? [], [], (result.errors ?? []).map((e) => e.message).join("\n"));
  supergraphSdl = result.supergraphSdl;
  assert.ok(supergraphSdl.includes("gpHeadcount"));

  const gateway = new ApolloGateway({ supergraphSdl });
  gatewayServer = new ApolloServer({ gateway });
  ({ url: gatewayURL } = await startStandaloneServer(gatewayServer, { listen: { port: 0, host: "127.0.0.1" } }));
});

test("a dpcma query completed by workforce's _entities", async () => {
  assert.ok(gatewayURL, "gateway is up");
  const res = await post(gatewayURL, `query($code: String!) {
    practice(odsCode: $code) { odsCode name gpHeadcount ccg { odsCode name trainingPlaces } }
    national { practices(first: 5, orderBy: {field: ODS_CODE, direction: ASC}) { edges { node { odsCode gpHeadcount } } } }
  }`, { code: someCodes[0] });
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  const want = await direct(`query($code: String!) { practice(odsCode: $code) { name ccg { odsCode name } } }`, { code: someCodes[0] });
  assert.equal(res.data.practice.name, want.practice.name);
  assert.equal(res.data.practice.ccg.name, want.practice.ccg.name);
  assert.equal(res.data.practice.ccg.trainingPlaces, trainingPlaces(want.practice.ccg.odsCode));
  assert.equal(res.data.practice.gpHeadcount, gpHeadcount(someCodes[0]));
  const edges = res.data.national.practices.edges;
  assert.equal(edges.length, 5);
  for (const { node } of edges) assert.equal(node.gpHeadcount, gpHeadcount(node.odsCode));
});

// Each query below starts in workforce and selects only fields that dpcma
// owns, never the key: the gateway's _entities fragment lacks it too.

test("practices from workforce: one plain dpcma field", async () => {
  const res = await post(gatewayURL, `{ understaffedPractices { name } }`);
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  for (const [i, p] of res.data.understaffedPractices.entries()) {
    const want = await direct(`query($c: String!) { practice(odsCode: $c) { name } }`, { c: someCodes[i] });
    assert.deepEqual(p, want.practice);
  }
});

test("practices from workforce: dpcma-owned fields only, maturity and a connection", async (t) => {
  const from = sentToDpcma.length;
  const res = await post(gatewayURL, `{
    understaffedPractices { gpHeadcount name listSize maturity { score level } responses(first: 3) { totalCount edges { node { indicator { code } value } } } }
  }`);
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  t.diagnostic(`gateway answered: ${JSON.stringify(res.data.understaffedPractices[0])}`);
  const asked = entityRequests(from);
  assert.equal(asked.length, 1, "one _entities request");
  assert.doesNotMatch(asked[0].query, /odsCode/, "the gateway does not select the key");
  const got = res.data.understaffedPractices;
  assert.equal(got.length, someCodes.length);
  for (const [i, p] of got.entries()) {
    const want = await direct(`query($c: String!) { practice(odsCode: $c) { odsCode name listSize maturity { score level }
      responses(first: 3) { totalCount edges { node { indicator { code } value } } } } }`, { c: someCodes[i] });
    assert.equal(p.gpHeadcount, gpHeadcount(someCodes[i]));
    assert.equal(p.name, want.practice.name);
    assert.equal(p.listSize, want.practice.listSize);
    assert.deepEqual(p.maturity, want.practice.maturity);
    assert.ok(p.maturity.score !== null && p.maturity.level >= 1, `practice ${someCodes[i]} has a maturity`);
    assert.deepEqual(p.responses, want.practice.responses);
    assert.ok(p.responses.totalCount > 0);
  }
});

test("organisations from workforce: plain dpcma fields", async () => {
  const res = await post(gatewayURL, `{ trainingHubs { name tier } }`);
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  for (const [i, o] of res.data.trainingHubs.entries()) {
    const want = await direct(`query($c: String!) { organisation(odsCode: $c) { name tier } }`, { c: hubCodes[i] });
    assert.deepEqual(o, want.organisation);
  }
});

test("organisations from workforce: dpcma-owned fields only, maturity and practices", async () => {
  const from = sentToDpcma.length;
  const res = await post(gatewayURL, `{
    trainingHubs { trainingPlaces name tier maturity { score level practiceCount } parent { name } practices(first: 2) { totalCount edges { node { name } } } }
  }`);
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  assert.equal(entityRequests(from).length, 1, "one _entities request");
  for (const [i, o] of res.data.trainingHubs.entries()) {
    const want = await direct(`query($c: String!) { organisation(odsCode: $c) { name tier maturity { score level practiceCount } parent { name }
      practices(first: 2) { totalCount edges { node { name } } } } }`, { c: hubCodes[i] });
    assert.equal(o.trainingPlaces, trainingPlaces(hubCodes[i]));
    assert.deepEqual({ ...o, trainingPlaces: undefined }, { ...want.organisation, trainingPlaces: undefined });
    assert.equal(o.tier, "CCG");
    assert.ok(o.maturity.level >= 1 && o.practices.totalCount === o.maturity.practiceCount);
  }
});

test("an indicator and a period from workforce: dpcma-owned fields only", async () => {
  const from = sentToDpcma.length;
  const res = await post(gatewayURL, `{
    latestCensus { period { name status opensOn } indicator { title domain summary { answeredCount shareMeetingTarget } } }
  }`);
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  const types = entityRequests(from).flatMap((r) => r.types).sort();
  assert.deepEqual(types, ["AssessmentPeriod", "Indicator"]);
  const want = await direct(`query($p: String!) {
    period(code: $p) { name status opensOn }
    indicator(code: "IN02") { title domain summary { answeredCount shareMeetingTarget } } }`, { p: censusPeriod });
  assert.deepEqual(res.data.latestCensus.period, want.period);
  assert.deepEqual(res.data.latestCensus.indicator, want.indicator);
  assert.ok(want.indicator.summary.answeredCount > 1000);
});

test("over 1,000 practice references resolve in one _entities request", async () => {
  assert.ok(allCodes.length >= 1000);
  // Plain columns alone, then with computed maturity.
  const results = [];
  for (const selection of ["name gpHeadcount", "name maturity { level } gpHeadcount"]) {
    const from = sentToDpcma.length;
    const res = await post(gatewayURL, `{ surveyedPractices { ${selection} } }`);
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    const asked = entityRequests(from);
    assert.equal(asked.length, 1, "one _entities request for every practice");
    assert.deepEqual(asked[0].types, ["Practice"]);
    assert.equal(asked[0].count, allCodes.length);
    results.push(res.data.surveyedPractices);
  }

  // The same practices asked of dpcma directly, in pages of 1,000.
  const names = new Map();
  for (let after = null, more = true; more; ) {
    const page = await direct(`query($after: Cursor) { practices(first: 1000, after: $after, orderBy: {field: ODS_CODE, direction: ASC}) {
      edges { node { odsCode name maturity { level } } } pageInfo { hasNextPage endCursor } } }`, { after });
    for (const { node } of page.practices.edges) names.set(node.odsCode, node);
    more = page.practices.pageInfo.hasNextPage && names.size < allCodes.length;
    after = page.practices.pageInfo.endCursor;
  }
  for (const got of results) {
    assert.equal(got.length, allCodes.length);
    for (const [i, p] of got.entries()) {
      const want = names.get(allCodes[i]);
      assert.equal(p.name, want.name, `practice ${i} (${allCodes[i]})`);
      if (p.maturity) assert.deepEqual(p.maturity, want.maturity);
      assert.equal(p.gpHeadcount, gpHeadcount(allCodes[i]));
    }
  }
  assert.ok(results[1].every((p) => p.maturity), "maturity selected");
});

test("a code dpcma does not hold is null among known practices", async () => {
  const res = await post(gatewayURL, `{ recordedPractices { name gpHeadcount } }`);
  const got = res.data.recordedPractices;
  assert.equal(got.length, 3);
  assert.equal(got[1], null, "the unknown practice");
  for (const [i, code] of [[0, someCodes[0]], [2, someCodes[1]]]) {
    const want = await direct(`query($c: String!) { practice(odsCode: $c) { name } }`, { c: code });
    assert.deepEqual(got[i], { name: want.practice.name, gpHeadcount: gpHeadcount(code) });
  }
  for (const e of res.errors ?? []) assert.deepEqual(e.path?.slice(0, 2), ["recordedPractices", 1], JSON.stringify(e));
});

test("dpcma resolves entities in input order with null for unknown keys", async () => {
  const reps = [
    { __typename: "Practice", odsCode: someCodes[1] },
    { __typename: "Practice", odsCode: "Z99999" },
    { __typename: "Organisation", odsCode: "ENG" },
    { __typename: "Practice", odsCode: someCodes[0] },
    { __typename: "Indicator", code: "PO01" },
    { __typename: "AssessmentPeriod", code: "2016-17-H1" },
  ];
  const res = await post(dpcmaURL, `query($r: [_Any!]!) { _entities(representations: $r) {
    ... on Practice { odsCode } ... on Organisation { odsCode } ... on Indicator { code } ... on AssessmentPeriod { code } } }`, { r: reps });
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  assert.deepEqual(res.data._entities, [
    { odsCode: someCodes[1] }, null, { odsCode: "ENG" }, { odsCode: someCodes[0] }, { code: "PO01" }, { code: "2016-17-H1" },
  ]);
});
