// Federation check: starts dpcma (a built binary, DPCMA_BIN) on the England
// demo data (SQLite) and a second subgraph, "workforce", that extends
// Practice and Organisation by their keys and refers to indicators and
// periods; composes both with Apollo composition and queries them through
// Apollo Gateway, so that each subgraph must resolve the other's entities.
// The gateway reaches dpcma through a proxy that records what it asks:
// a gateway never selects the key it already holds.
// Then the supergraph of supergraph.mjs: dpcma and the secondary-care
// subgraph (a built binary, SECONDARYCARE_BIN), each behind a recording
// proxy, composed and queried through a second gateway.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, print } from "graphql";
import gql from "graphql-tag";
import { composeServices } from "@apollo/composition";
import { ApolloGateway } from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { startDpcma, startProgram } from "../dpcma-server.mjs";
import { comparisonQuery, composeSupergraph, startGateway, startSecondaryCare } from "./supergraph.mjs";

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
// The secondary-care subgraph, its proxy, the requests sent to it, and the
// gateway of the two.
let secondary, secondaryProxy, secondaryProxyURL, supergraph;
const sentToSecondary = [];

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
function entityRequests(from, sent = sentToDpcma) {
  return sent
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

  ({ proxy, url: proxyURL } = await recordingProxy(dpcmaURL, sentToDpcma));
  secondary = await startSecondaryCare();
  ({ proxy: secondaryProxy, url: secondaryProxyURL } = await recordingProxy(`${secondary.base}/query`, sentToSecondary));

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

// recordingProxy forwards POSTs to upstream, keeping each request's body
// in sent.
async function recordingProxy(upstream, sent) {
  const proxy = createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks).toString();
    sent.push(JSON.parse(body));
    const answer = await fetch(upstream, { method: "POST", headers: { "content-type": req.headers["content-type"] }, body });
    res.writeHead(answer.status, { "content-type": answer.headers.get("content-type") });
    res.end(Buffer.from(await answer.arrayBuffer()));
  });
  await new Promise((r) => proxy.listen(0, "127.0.0.1", r));
  return { proxy, url: `http://127.0.0.1:${proxy.address().port}/query` };
}

after(async () => {
  await supergraph?.stop();
  secondaryProxy?.close();
  secondary?.stop();
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

// ---- dpcma and the secondary-care subgraph (tools/secondarycare) ----

// Trusts by STP as the Health Foundation's lookup lists them: the STP code
// is each row's last field, never quoted.
function trustsBySTP() {
  const lines = readFileSync(new URL("../secondarycare/dma/data/trust_stp_2017-18.csv", import.meta.url), "utf8").trim().split(/\r?\n/);
  const count = new Map();
  for (const line of lines.slice(1)) {
    const stp = line.split(",").at(-1).trim();
    count.set(stp, (count.get(stp) ?? 0) + 1);
  }
  return count;
}

// The playground's examples that only the supergraph answers.
function gatewayExamples() {
  const all = JSON.parse(readFileSync(new URL("../../server/playground/assets/examples.json", import.meta.url), "utf8"));
  return all.filter((e) => e.gateway);
}

// asks the secondary-care subgraph itself.
async function askSecondary(query, variables) {
  const res = await post(`${secondary.base}/query`, query, variables);
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  return res.data;
}

test("composition of dpcma and secondary care succeeds, as supergraph.mjs composes it", async () => {
  const supergraphSdl = await composeSupergraph([
    { name: "dpcma", url: proxyURL },
    { name: "secondarycare", url: secondaryProxyURL },
  ]);
  assert.match(supergraphSdl, /secondaryCare\(round: Int\): SecondaryCare/);
  assert.match(supergraphSdl, /type Trust\b/);
  supergraph = await startGateway(supergraphSdl);
});

test("primary and secondary care by STP: all 44 STPs through the gateway", async (t) => {
  assert.ok(supergraph, "gateway is up");
  const examples = gatewayExamples();
  const example = examples.find((e) => e.title === "Primary and secondary care by STP");
  assert.ok(example, "the playground has the comparison");
  const selection = (q) => print(parse(q).definitions[0].selectionSet);
  assert.equal(selection(example.query), selection(comparisonQuery), "the playground's comparison is supergraph.mjs's");

  const fromDpcma = sentToDpcma.length;
  const fromSecondary = sentToSecondary.length;
  const res = await post(supergraph.url, example.query);
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  const stps = res.data.organisations.edges.map((e) => e.node);
  assert.equal(res.data.organisations.totalCount, 44);
  assert.equal(stps.length, 44);

  // One request to each subgraph: dpcma's root field, and secondary care's
  // _entities for every STP at once, with the STP codes alone.
  assert.equal(sentToDpcma.length - fromDpcma, 1, "one request to dpcma");
  assert.equal(entityRequests(fromDpcma).length, 0, "no _entities request to dpcma");
  const asked = entityRequests(fromSecondary, sentToSecondary);
  assert.equal(sentToSecondary.length - fromSecondary, 1, "one request to secondary care");
  assert.equal(asked.length, 1, "one _entities request to secondary care");
  assert.deepEqual(asked[0].types, ["Organisation"]);
  assert.equal(asked[0].count, 44);
  const reps = sentToSecondary.at(-1).variables.representations;
  for (const rep of reps) assert.deepEqual(Object.keys(rep).sort(), ["__typename", "odsCode"]);

  // Primary care: what dpcma answers directly.
  const dpcmaAnswer = await direct(`{ organisations(first: 50, where: {tier: STP}, orderBy: {field: ODS_CODE, direction: ASC}) {
    edges { node { odsCode name parent { odsCode name } maturity { period { code } score levelName practiceCount } } } } }`);
  const primary = new Map(dpcmaAnswer.organisations.edges.map((e) => [e.node.odsCode, e.node]));
  // Secondary care: what the subgraph answers directly, and the lookup.
  const secondaryDirect = await askSecondary(`query($r: [_Any!]!) { _entities(representations: $r) { ... on Organisation {
    secondaryCare { round trustCount readiness capabilities infrastructure overall trusts { odsCode name overall } } } } }`,
  { r: stps.map((s) => ({ __typename: "Organisation", odsCode: s.odsCode })) });
  const lookup = trustsBySTP();
  assert.equal(lookup.size, 44);

  for (const [i, stp] of stps.entries()) {
    const { secondaryCare, ...dpcmaPart } = stp;
    assert.deepEqual(dpcmaPart, primary.get(stp.odsCode), `${stp.odsCode}: dpcma's figures`);
    assert.ok(dpcmaPart.maturity.score > 0 && dpcmaPart.maturity.practiceCount > 0, `${stp.odsCode} has primary care`);
    assert.deepEqual(secondaryCare, secondaryDirect._entities[i].secondaryCare, `${stp.odsCode}: secondary care's figures`);
    assert.equal(secondaryCare.trustCount, lookup.get(stp.odsCode), `${stp.odsCode}: trusts in the lookup`);
    assert.equal(secondaryCare.trusts.length, secondaryCare.trustCount);
    assert.equal(secondaryCare.round, 2017);
  }
  for (const code of ["E54000005", "E54000006", "E54000007"]) {
    const s = stps.find((n) => n.odsCode === code);
    t.diagnostic(`${code} ${s.name}: primary care ${s.maturity.score.toFixed(1)} (${s.maturity.levelName}, ${s.maturity.practiceCount} practices, ${s.maturity.period.code}); ` +
      `secondary care ${s.secondaryCare.overall} overall (readiness ${s.secondaryCare.readiness}, capabilities ${s.secondaryCare.capabilities}, ` +
      `infrastructure ${s.secondaryCare.infrastructure}; ${s.secondaryCare.trustCount} trusts)`);
  }
});

test("a query that starts in secondary care: every trust's STP completed by dpcma in one _entities request", async () => {
  const fromDpcma = sentToDpcma.length;
  const fromSecondary = sentToSecondary.length;
  const res = await post(supergraph.url, `{ trusts { odsCode name stp { name maturity { score } } } }`);
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  const trusts = res.data.trusts;
  assert.equal(trusts.length, 137);

  const asked = entityRequests(fromDpcma);
  assert.equal(asked.length, 1, "one _entities request to dpcma");
  assert.deepEqual(asked[0].types, ["Organisation"]);
  assert.ok(asked[0].count >= 44 && asked[0].count <= 137, `${asked[0].count} representations`);
  assert.doesNotMatch(asked[0].query, /odsCode/, "the gateway does not select the key");
  assert.equal(entityRequests(fromSecondary, sentToSecondary).length, 0, "secondary care answered the root field alone");

  const { trusts: own } = await askSecondary(`{ trusts { odsCode name stp { odsCode } } }`);
  const dpcmaAnswer = await direct(`{ organisations(first: 50, where: {tier: STP}) { edges { node { odsCode name maturity { score } } } } }`);
  const stps = new Map(dpcmaAnswer.organisations.edges.map((e) => [e.node.odsCode, e.node]));
  const lookup = trustsBySTP();
  const perSTP = new Map();
  for (const [i, trust] of trusts.entries()) {
    assert.equal(trust.odsCode, own[i].odsCode);
    const want = stps.get(own[i].stp.odsCode);
    assert.ok(want, `${trust.odsCode}: STP ${own[i].stp.odsCode} is dpcma's`);
    assert.deepEqual(trust.stp, { name: want.name, maturity: want.maturity });
    perSTP.set(own[i].stp.odsCode, (perSTP.get(own[i].stp.odsCode) ?? 0) + 1);
  }
  assert.deepEqual([...perSTP].sort(), [...lookup].sort());
});

test("secondary care for England and a region, none for a CCG, through the gateway", async () => {
  const res = await post(supergraph.url, `{
    national { name secondaryCare(round: 2016) { trustCount overall } }
    region: organisation(odsCode: "Y56") { name secondaryCare { trustCount overall } }
    ccg: organisation(odsCode: "00C") { name tier secondaryCare { trustCount overall } }
  }`);
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  assert.equal(res.data.national.secondaryCare.trustCount, 137);
  assert.ok(Math.abs(res.data.national.secondaryCare.overall - 60) < 2, "2016 national overall about 60");
  assert.ok(res.data.region.secondaryCare.trustCount > 0);
  assert.equal(res.data.ccg.tier, "CCG");
  assert.equal(res.data.ccg.secondaryCare, null);
});

test("every playground example that needs the gateway, and the README's comparison, run through it", async () => {
  const examples = gatewayExamples();
  assert.ok(examples.length >= 1);
  for (const e of examples) {
    const res = await post(supergraph.url, e.query);
    assert.equal(res.errors, undefined, `${e.title}: ${JSON.stringify(res.errors)}`);
    assert.ok(e.description.includes("gateway"), `${e.title} says it needs the gateway`);
  }
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const section = readme.split("\n### Primary beside secondary care\n")[1]?.split("\n## ")[0];
  const queries = [...(section ?? "").matchAll(/```graphql\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.equal(queries.length, 1, "the README shows the comparison");
  const res = await post(supergraph.url, queries[0]);
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  assert.equal(res.data.organisations.edges.length, 44);
});

test("npm run supergraph: one command serves dpcma and secondary care behind a gateway", async () => {
  // The binaries the suite runs, and the database it seeded, so nothing is
  // built or seeded again.
  const sg = await startProgram(process.execPath, [new URL("supergraph.mjs", import.meta.url).pathname, "--port", "0",
    "--db", `sqlite://${join(workdir, "fed.db")}`], "supergraph ready", 120000);
  try {
    const res = await post(sg.base, comparisonQuery);
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    assert.equal(res.data.organisations.edges.length, 44);
    assert.ok(res.data.organisations.edges.every((e) => e.node.maturity.score > 0 && e.node.secondaryCare.trustCount > 0));
  } finally {
    sg.stop();
  }
});
