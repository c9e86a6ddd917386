// DuckDB check: reads dpcma's CSV and NDJSON exports with DuckDB's own type
// detection (read_csv, read_json), as an analyst would, on the small demo
// data set, on SQLite and, when DPCMA_TEST_DATABASE_URL names a PostgreSQL
// server, on a database of its own there: every column must come out with
// the type of its OData property, in the whole files and in subsets (a
// CCG's rows, one numeric indicator's answers, practices only), and with
// the feed's nulls, column by column.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { parse } from "@sap-ux/edmx-parser";
import { startDpcma } from "../dpcma-server.mjs";

let dpcma, workdir, duck, types;

// Each export and its entity set.
const sets = { practices: "Practices", organisations: "Organisations", maturity: "Maturity", responses: "Responses", indicators: "Indicators" };

// The databases to serve from: SQLite, and a fresh PostgreSQL database
// when the tests are given a server.
const backends = [{ name: "SQLite", dsn: (dir) => `sqlite://${join(dir, "duck.db")}` }];
if (process.env.DPCMA_TEST_DATABASE_URL) {
  const url = new URL(process.env.DPCMA_TEST_DATABASE_URL);
  const db = "dpcma_duckdb_check";
  const psql = (sql) => {
    const admin = new URL(url);
    admin.pathname = "/postgres";
    execFileSync("psql", [admin.toString(), "-qc", sql], { stdio: ["ignore", "ignore", "inherit"] });
  };
  backends.push({
    name: "PostgreSQL",
    dsn: () => {
      psql(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
      psql(`CREATE DATABASE ${db}`);
      const u = new URL(url);
      u.pathname = `/${db}`;
      return u.toString();
    },
    drop: () => psql(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`),
  });
}

async function start(backend) {
  workdir = mkdtempSync(join(tmpdir(), "dpcma-duckdb-"));
  dpcma = await startDpcma(["--db", backend.dsn(workdir), "--seed", "small", "--rate-limit", "0"], 120_000);
  duck = await (await DuckDBInstance.create(":memory:")).connect();
  const res = await fetch(`${dpcma.base}/odata/$metadata`);
  assert.equal(res.status, 200);
  const schema = parse(await res.text()).schema;
  types = {};
  for (const [file, set] of Object.entries(sets)) {
    const es = schema.entitySets.find((s) => s.name === set);
    const et = schema.entityTypes.find((t) => t.fullyQualifiedName === es.entityTypeName);
    types[file] = Object.fromEntries(et.entityProperties.map((p) => [p.name, p.type]));
  }
}

async function stop(backend) {
  dpcma?.stop();
  dpcma = undefined;
  if (workdir) rmSync(workdir, { recursive: true, force: true });
  backend.drop?.(); // WITH (FORCE): the stopping server's connections are closed
}

// property is an export column's OData name: ods_code is OdsCode.
const property = (column) => column.split("_").map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join("");

// The DuckDB types an Edm type may come out as; JSON has no time zone
// type, so DuckDB's JSON reader gives a UTC time as a plain TIMESTAMP.
const duckTypes = {
  "Edm.String": ["VARCHAR"],
  "Edm.Int64": ["BIGINT"],
  "Edm.Int32": ["BIGINT", "INTEGER"],
  "Edm.Double": ["DOUBLE"],
  "Edm.Boolean": ["BOOLEAN"],
  "Edm.DateTimeOffset": ["TIMESTAMP WITH TIME ZONE", "TIMESTAMP"],
};

async function download(path, name) {
  const res = await fetch(`${dpcma.base}${path}`);
  const body = Buffer.from(await res.arrayBuffer());
  assert.equal(res.status, 200, `${path}: ${body.toString().slice(0, 300)}`);
  const file = join(workdir, name);
  writeFileSync(file, body);
  return file;
}

async function rows(sql) {
  return (await duck.runAndReadAll(sql)).getRowObjects();
}

// columns describes a file as DuckDB reads it: each column's type and
// number of nulls.
async function columns(reader) {
  const described = await rows(`DESCRIBE SELECT * FROM ${reader}`);
  const counts = await rows(`SELECT COUNT(*) AS n, ${described.map((c, i) => `COUNT(*) - COUNT("${c.column_name}") AS null${i}`).join(", ")} FROM ${reader}`);
  return {
    n: Number(counts[0].n),
    cols: described.map((c, i) => ({ name: c.column_name, type: c.column_type, nulls: Number(counts[0][`null${i}`]) })),
  };
}

// readFile reads one export in both formats and checks every column's
// type against the feed's property; it returns the JSON read's columns.
async function readFile(file, query, label) {
  const out = {};
  for (const format of ["csv", "json"]) {
    const path = await download(`/export/${file}.${format}${query}`, `${label}.${format}`);
    const reader = format === "csv" ? `read_csv('${path}')` : `read_json('${path}')`;
    const got = await columns(reader);
    assert.ok(got.n > 0, `${label}.${format}: no rows`);
    for (const c of got.cols) {
      const edm = types[file][property(c.name)];
      assert.ok(edm, `${label}.${format}: column ${c.name} is no property of ${sets[file]}`);
      // A column without a value has no type to detect (JSON reads it as
      // JSON, CSV as text); every other must have its property's.
      if (c.nulls === got.n) continue;
      assert.ok(duckTypes[edm].includes(c.type), `${label}.${format}: ${c.name} (${edm}) reads as ${c.type}`);
    }
    out[format] = got;
  }
  // Both formats hold the same nulls.
  assert.deepEqual(out.csv.cols.map((c) => [c.name, c.nulls]), out.json.cols.map((c) => [c.name, c.nulls]), `${label}: nulls differ between CSV and JSON`);
  return out.json;
}

// feedNulls counts the feed's nulls per property over every page of path.
async function feedNulls(path) {
  const nulls = {};
  let n = 0;
  for (let url = `${dpcma.base}${path}`; url; ) {
    const res = await fetch(url);
    const page = await res.json();
    assert.equal(res.status, 200, JSON.stringify(page));
    for (const row of page.value) {
      n++;
      for (const [k, v] of Object.entries(row)) nulls[k] = (nulls[k] ?? 0) + (v === null ? 1 : 0);
    }
    url = page["@odata.nextLink"];
  }
  return { n, nulls };
}

for (const backend of backends) {
  describe(backend.name, () => {
    before(() => start(backend));
    after(() => stop(backend));

    test("DuckDB types every export's columns as the feed does, with the feed's nulls", async () => {
      for (const [file, set] of Object.entries(sets)) {
        const json = await readFile(file, "", file);
        const feed = await feedNulls(`/odata/${set}`);
        assert.equal(json.n, feed.n, `${file}: ${json.n} rows exported, ${feed.n} in the feed`);
        for (const c of json.cols) {
          assert.equal(c.nulls, feed.nulls[property(c.name)], `${file}.${c.name}: ${c.nulls} nulls exported, ${feed.nulls[property(c.name)]} in the feed`);
        }
      }
    });

    test("the types hold in subsets whose numbers are all whole or whose answers all look like numbers", async () => {
      await readFile("practices", "?org=00C", "practices-00C");
      await readFile("maturity", "?tier=PRACTICE&org=00C", "maturity-practices-00C");
      await readFile("maturity", "?tier=NATIONAL", "maturity-england");
      const indicators = await rows(`SELECT code FROM read_json('${await download("/export/indicators.json", "ind.json")}') WHERE answer_type = 'PCT' ORDER BY code LIMIT 1`);
      assert.equal(indicators.length, 1, "no PCT indicator in the catalogue");
      const code = indicators[0].code;
      // A percentage indicator's answers (Value) are all numbers as text: the
      // JSON export keeps them text; CSV has no types, so DuckDB's CSV reader
      // needs to be told (docs/operations.md).
      const json = await download(`/export/responses.json?indicator=${code}`, "pct.json");
      const csv = await download(`/export/responses.csv?indicator=${code}`, "pct.csv");
      const jsonTypes = Object.fromEntries((await rows(`DESCRIBE SELECT * FROM read_json('${json}')`)).map((c) => [c.column_name, c.column_type]));
      assert.equal(jsonTypes.value, "VARCHAR", `${code}.json: value reads as ${jsonTypes.value}`);
      assert.equal(jsonTypes.numeric_value, "DOUBLE");
      const told = Object.fromEntries((await rows(`DESCRIBE SELECT * FROM read_csv('${csv}', types = {'value': 'VARCHAR'})`)).map((c) => [c.column_name, c.column_type]));
      assert.equal(told.value, "VARCHAR");
      assert.equal(told.numeric_value, "DOUBLE");
      const same = await rows(`SELECT COUNT(*) AS n FROM read_json('${json}') j FULL JOIN read_csv('${csv}', types = {'value': 'VARCHAR'}) c ON j.id = c.id
        WHERE j.value IS DISTINCT FROM c.value OR j.numeric_value IS DISTINCT FROM c.numeric_value OR j.score IS DISTINCT FROM c.score`);
      assert.equal(Number(same[0].n), 0, `${code}: the CSV and JSON answers differ`);
    });
  });
}
