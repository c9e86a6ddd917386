// Federation check: starts dpcma (a built binary, DPCMA_BIN) on a small
// SQLite data set and a second subgraph, "workforce", that extends
// Practice by odsCode; composes both with Apollo composition and queries
// them through Apollo Gateway, so that each subgraph must resolve the
// other's entities.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
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

const bin = process.env.DPCMA_BIN;
if (!bin) throw new Error("set DPCMA_BIN to a built dpcma server binary (go build -o dpcma ./server)");

const dpcmaPort = 20000 + Math.floor(Math.random() * 20000);
const dpcmaURL = `http://127.0.0.1:${dpcmaPort}/query`;

// The workforce subgraph's own data: deterministic head counts per practice.
const gpHeadcount = (odsCode) => 1 + ([...odsCode].reduce((s, c) => s + c.charCodeAt(0), 0) % 9);

let dpcma, workdir, workforce, workforceURL, gatewayServer, gatewayURL, someCodes;

async function post(url, query, variables) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  assert.equal(res.status, 200, `${url} answered ${res.status}`);
  return res.json();
}

async function waitReady(url, deadlineMs) {
  const until = Date.now() + deadlineMs;
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {}
    if (Date.now() > until) throw new Error(`${url} not ready after ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

before(async () => {
  workdir = mkdtempSync(join(tmpdir(), "dpcma-fed-"));
  dpcma = spawn(bin, ["--db", `sqlite://${join(workdir, "fed.db")}`, "--seed", "small", "--addr", `127.0.0.1:${dpcmaPort}`], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  await waitReady(`http://127.0.0.1:${dpcmaPort}/readyz`, 60000);

  const direct = await post(dpcmaURL, "{ practices(first: 3, orderBy: {field: ODS_CODE, direction: ASC}) { edges { node { odsCode } } } }");
  someCodes = direct.data.practices.edges.map((e) => e.node.odsCode);

  const typeDefs = gql`
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
    type Practice @key(fields: "odsCode") {
      odsCode: String!
      "GPs working at the practice (workforce subgraph)."
      gpHeadcount: Int!
    }
    type Query {
      "Practices short of GPs, as references that dpcma completes."
      understaffedPractices: [Practice!]!
    }
  `;
  const resolvers = {
    Query: { understaffedPractices: () => someCodes.map((odsCode) => ({ odsCode })) },
    Practice: {
      __resolveReference: (ref) => ({ odsCode: ref.odsCode }),
      gpHeadcount: (p) => gpHeadcount(p.odsCode),
    },
  };
  workforce = new ApolloServer({ schema: buildSubgraphSchema([{ typeDefs, resolvers }]) });
  ({ url: workforceURL } = await startStandaloneServer(workforce, { listen: { port: 0, host: "127.0.0.1" } }));
});

after(async () => {
  await gatewayServer?.stop();
  await workforce?.stop();
  dpcma?.kill("SIGTERM");
  if (workdir) rmSync(workdir, { recursive: true, force: true });
});

let supergraphSdl;

test("dpcma's _service SDL is a Federation 2 subgraph with the four entity keys", async () => {
  const res = await post(dpcmaURL, "{ _service { sdl } }");
  const sdl = res.data._service.sdl;
  assert.match(sdl, /@link\(url: "https:\/\/specs\.apollo\.dev\/federation\/v2\.\d+"/);
  for (const [type, key] of [["Organisation", "odsCode"], ["Practice", "odsCode"], ["Indicator", "code"], ["AssessmentPeriod", "code"]]) {
    assert.match(sdl, new RegExp(`type ${type} implements Node @key\\(fields: "${key}"\\)`), `${type} keyed by ${key}`);
  }
});

test("composition of dpcma and workforce succeeds", async () => {
  const dpcmaSDL = (await post(dpcmaURL, "{ _service { sdl } }")).data._service.sdl;
  const workforceSDL = (await post(workforceURL, "{ _service { sdl } }")).data._service.sdl;
  const result = composeServices([
    { name: "dpcma", typeDefs: parse(dpcmaSDL), url: dpcmaURL },
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
    practice(odsCode: $code) { odsCode name gpHeadcount ccg { odsCode name } }
    national { practices(first: 5, orderBy: {field: ODS_CODE, direction: ASC}) { edges { node { odsCode gpHeadcount } } } }
  }`, { code: someCodes[0] });
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  const direct = await post(dpcmaURL, `query($code: String!) { practice(odsCode: $code) { name ccg { odsCode name } } }`, { code: someCodes[0] });
  assert.equal(res.data.practice.name, direct.data.practice.name);
  assert.deepEqual(res.data.practice.ccg, direct.data.practice.ccg);
  assert.equal(res.data.practice.gpHeadcount, gpHeadcount(someCodes[0]));
  const edges = res.data.national.practices.edges;
  assert.equal(edges.length, 5);
  for (const { node } of edges) assert.equal(node.gpHeadcount, gpHeadcount(node.odsCode));
});

test("a workforce query completed by dpcma's _entities", async () => {
  const res = await post(gatewayURL, `{
    understaffedPractices { odsCode gpHeadcount name listSize ccg { odsCode } ancestors { tier } maturity { practiceCount } }
  }`);
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  const got = res.data.understaffedPractices;
  assert.deepEqual(got.map((p) => p.odsCode), someCodes);
  for (const p of got) {
    const direct = await post(dpcmaURL, `query($c: String!) { practice(odsCode: $c) { name listSize ccg { odsCode } } }`, { c: p.odsCode });
    assert.equal(p.name, direct.data.practice.name);
    assert.equal(p.listSize, direct.data.practice.listSize);
    assert.equal(p.ccg.odsCode, direct.data.practice.ccg.odsCode);
    assert.deepEqual(p.ancestors.map((a) => a.tier), ["CCG", "STP", "REGION", "NATIONAL"]);
    assert.equal(p.maturity.practiceCount, 1);
  }
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
