// The supergraph of dpcma and the secondary-care subgraph behind Apollo
// Gateway, in one command from the repository's root:
//
//   npm --prefix tools/federation run supergraph [-- --port 4000 --db sqlite:///abs/dpcma.db]
//
// It builds both Go programs (or runs DPCMA_BIN and SECONDARYCARE_BIN when
// set), starts them on ports the system picks, composes their SDL with
// @apollo/composition and serves the gateway on 127.0.0.1:4000/ until
// interrupted. dpcma uses the repository's dpcma.db, as `go run ./server`
// does (the first start seeds it, which takes a few minutes).
//
// The test suite (federation.test.mjs) composes and serves the gateway with
// the functions exported here.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { parse } from "graphql";
import { composeServices } from "@apollo/composition";
import { ApolloGateway } from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { startDpcma, startProgram } from "../dpcma-server.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

// The query the supergraph is for: every STP with dpcma's primary-care
// maturity beside secondary care's Digital Maturity Assessment. The
// playground's example "Primary and secondary care by STP" is the same.
export const comparisonQuery = `query PrimaryAndSecondaryCareBySTP {
  organisations(first: 50, where: {tier: STP}, orderBy: {field: ODS_CODE, direction: ASC}) {
    totalCount
    edges {
      node {
        odsCode
        name
        parent { odsCode name }
        maturity { period { code } score levelName practiceCount }
        secondaryCare { round trustCount readiness capabilities infrastructure overall trusts { odsCode name overall } }
      }
    }
  }
}`;

// startSecondaryCare runs the secondary-care subgraph (SECONDARYCARE_BIN,
// or bin) on a port the system picks.
export function startSecondaryCare(bin = process.env.SECONDARYCARE_BIN) {
  if (!bin) throw new Error("set SECONDARYCARE_BIN to a built secondary-care subgraph (go build -o secondarycare ./tools/secondarycare)");
  return startProgram(bin, ["--addr", "127.0.0.1:0"], "secondarycare ready", 30000);
}

// composeSupergraph composes the subgraphs [{ name, url }] from the SDL
// each serves at _service, and throws with composition's errors.
export async function composeSupergraph(subgraphs) {
  const services = [];
  for (const { name, url } of subgraphs) {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ _service { sdl } }" }),
    });
    const body = await res.json();
    if (!body.data?._service?.sdl) throw new Error(`${name} (${url}) gave no SDL: ${JSON.stringify(body.errors)}`);
    services.push({ name, url, typeDefs: parse(body.data._service.sdl) });
  }
  const result = composeServices(services);
  if (result.errors?.length) throw new Error("composition failed:\n" + result.errors.map((e) => e.message).join("\n"));
  return result.supergraphSdl;
}

// startGateway serves Apollo Gateway over a supergraph; resolves with
// { url, stop }.
export async function startGateway(supergraphSdl, { host = "127.0.0.1", port = 0 } = {}) {
  const server = new ApolloServer({ gateway: new ApolloGateway({ supergraphSdl }) });
  const { url } = await startStandaloneServer(server, { listen: { host, port } });
  return { url, stop: () => server.stop() };
}

// build compiles a Go package of the repository into dir.
function build(pkg, out) {
  console.error(`go build -o ${out} ${pkg}`);
  const r = spawnSync("go", ["build", "-o", out, pkg], { cwd: root, stdio: "inherit" });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`go build ${pkg} failed`);
  return out;
}

async function main() {
  const { values: opts } = parseArgs({
    options: {
      port: { type: "string", default: "4000" },
      db: { type: "string", default: `sqlite://${join(root, "dpcma.db")}` },
    },
  });
  const started = [];
  let builtIn;
  const stopAll = async () => {
    for (const s of started.reverse()) await s.stop();
    if (builtIn) rmSync(builtIn, { recursive: true, force: true });
  };
  for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => stopAll().then(() => process.exit(0)));
  try {
    let dpcmaBin = process.env.DPCMA_BIN;
    let secondaryBin = process.env.SECONDARYCARE_BIN;
    if (!dpcmaBin || !secondaryBin) builtIn = mkdtempSync(join(tmpdir(), "dpcma-supergraph-"));
    dpcmaBin ??= build("./server", join(builtIn, "dpcma"));
    secondaryBin ??= build("./tools/secondarycare", join(builtIn, "secondarycare"));
    process.env.DPCMA_BIN = dpcmaBin;

    // The gateway is one client for everyone who queries it: dpcma's
    // per-client rate limit would throttle them all together.
    const dpcma = await startDpcma(["--db", opts.db, "--rate-limit", "0"], 30 * 60 * 1000);
    started.push(dpcma);
    const secondary = await startSecondaryCare(secondaryBin);
    started.push(secondary);
    const supergraphSdl = await composeSupergraph([
      { name: "dpcma", url: `${dpcma.base}/query` },
      { name: "secondarycare", url: `${secondary.base}/query` },
    ]);
    const gateway = await startGateway(supergraphSdl, { port: Number(opts.port) });
    started.push(gateway);
    // The test suite waits for this line.
    console.error(JSON.stringify({ msg: "supergraph ready", url: gateway.url, dpcma: dpcma.base, secondarycare: secondary.base }));
    console.log(`\nGateway: ${gateway.url} (dpcma ${dpcma.base}, secondary care ${secondary.base}). Try:\n\n${comparisonQuery}\n`);
  } catch (err) {
    console.error(err.message ?? err);
    await stopAll();
    process.exit(1);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await main();
