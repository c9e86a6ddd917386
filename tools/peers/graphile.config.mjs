// PostGraphile 5 (amber preset) over the database named by
// DPCMA_PEER_DATABASE_URL, listening on 127.0.0.1:5000.
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";

const connectionString = process.env.DPCMA_PEER_DATABASE_URL;
if (!connectionString) throw new Error("set DPCMA_PEER_DATABASE_URL");

export default {
  extends: [PostGraphileAmberPreset],
  // dpcma's answer indexes are partial, which PostGraphile does not count
  // as indexing the foreign key; without this it hides Practice → answers.
  disablePlugins: ["PgIndexBehaviorsPlugin"],
  pgServices: [makePgService({ connectionString, schemas: ["public"] })],
  grafserv: { port: Number(process.env.PEER_PORT || 5000), host: "127.0.0.1" },
};
