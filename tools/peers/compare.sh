#!/usr/bin/env bash
# Side by side over one seeded database: PostGraphile 5 and dpcma (computing
# every request, and with its response cache), 8 concurrent clients each,
# one after the other. Prints one loaddriver line per run: the tier tree,
# one CCG's drill-down, and every CCG's drill-down in turn (the 8 clients
# take the CCGs from one sequence, so no answer repeats within a round;
# the run lasts twice [seconds]).
#
#   tools/peers/compare.sh postgres://postgres@127.0.0.1:5432/dpcma_england [seconds] [ccg]
set -euo pipefail
dsn=${1:?usage: compare.sh POSTGRES_DSN [seconds] [ccg]}
secs=${2:-10}
ccg=${3:-99P}
# Ports: PEER_PORT (PostGraphile, 5000), DPCMA_PEER_PORT (dpcma computed,
# 8091; the cached server listens on the next port).
pg_port=${PEER_PORT:-5000}
dp_port=${DPCMA_PEER_PORT:-8091}
export PEER_PORT=$pg_port
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
bin=$(mktemp -d)
npm ci --no-audit --no-fund --loglevel=error >/dev/null
go build -o $bin/server ../../server
go build -o $bin/loaddriver ../loaddriver
period=$(psql "$dsn" -Atc "SELECT id FROM assessment_periods p WHERE EXISTS
  (SELECT 1 FROM responses r WHERE r.period_id = p.id) ORDER BY opens_on DESC LIMIT 1")

pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$bin"' EXIT
# node itself, not npm run: npm would leave node running when killed.
DPCMA_PEER_DATABASE_URL=$dsn GRAPHILE_ENV=production NODE_OPTIONS='--require ./polyfill.cjs' \
  node_modules/.bin/postgraphile -C graphile.config.mjs >$bin/postgraphile.log 2>&1 & pids+=($!)
$bin/server --db "$dsn" --addr 127.0.0.1:$dp_port --response-cache-mb 0 --rate-limit 0 >$bin/computed.log 2>&1 & pids+=($!)
$bin/server --db "$dsn" --addr 127.0.0.1:$((dp_port + 1)) --rate-limit 0 >$bin/cached.log 2>&1 & pids+=($!)
declare -A pid_of=([$pg_port]=${pids[0]} [$dp_port]=${pids[1]} [$((dp_port + 1))]=${pids[2]})
for url in http://127.0.0.1:$pg_port/graphql http://127.0.0.1:$dp_port/query http://127.0.0.1:$((dp_port + 1))/query; do
  for _ in $(seq 60); do
    curl -sf -o /dev/null -X POST -H 'content-type: application/json' -d '{"query":"{__typename}"}' "$url" && break
    sleep 1
  done
done

# The same data in both shapes: the tier tree, and a CCG's practices with
# their answers (and each answer's indicator) for the latest period.
# PostGraphile has no maturity, so dpcma's drill-down runs without it too.
pg_tree='{ allOrganisations(condition: {tier: "NATIONAL"}) { edges { node { odsCode name
  organisationsByParentId(first: 10) { edges { node { odsCode name organisationsByParentId(first: 100) { edges { node { odsCode name
  organisationsByParentId(first: 300) { edges { node { odsCode name } } } } } } } } } } } } }'
dp_tree='{ national { odsCode name children(first: 10) { edges { node { odsCode name children(first: 100) { edges { node { odsCode name
  children(first: 300) { edges { node { odsCode name } } } } } } } } } } }'
ccgs=$(psql "$dsn" -Atc "SELECT string_agg(ods_code, ',' ORDER BY name) FROM organisations WHERE tier = 'CCG'")
pg_drill_of() { # CCG code (a literal in quotes, or $ccg)
  echo "{ allOrganisations(condition: {odsCode: $1}) { edges { node { name practicesByCcgId(orderBy: NAME_ASC, first: 500) {
  totalCount edges { node { odsCode name listSize responsesByPracticeId(condition: {periodId: \"$period\"}, first: 100) {
  totalCount edges { node { value score notApplicable indicatorByIndicatorId { code domain } } } } } } } } } } }"
}
dp_drill_of() {
  echo "{ organisation(odsCode: $1) { name practices(first: 500, orderBy: {field: NAME, direction: ASC}) {
  totalCount edges { node { odsCode name listSize responses(first: 100) {
  totalCount edges { node { value score notApplicable indicator { code domain } } } } } } } } }"
}
pg_drill=$(pg_drill_of "\"$ccg\"")
dp_drill=$(dp_drill_of "\"$ccg\"")
# Every CCG in turn: the same documents with the CCG as a variable.
pg_each="query(\$ccg: String!) $(pg_drill_of '$ccg')"
dp_each="query(\$ccg: String!) $(dp_drill_of '$ccg')"

# CPU time (user + system) of a process, in milliseconds.
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) * 1000 / hz }' "/proc/$1/stat"; }

# Each run also prints the server process's own CPU per request (its
# warm-up requests included; PostgreSQL's share is not counted).
run() { # label url query [loaddriver flags]
  local port=${2#http://127.0.0.1:}; port=${port%%/*}
  local pid=${pid_of[$port]} before out n
  before=$(cpu_ms "$pid")
  out=$($bin/loaddriver -url "$2" -query "$3" -clients 8 -duration "${secs}s" -label "$1" "${@:4}")
  n=$(sed -n 's/.*requests=\([0-9]*\).*/\1/p' <<<"$out" | head -1)
  echo "$out" | sed "1s|\$| server_cpu_per_req=$(awk -v a="$before" -v b="$(cpu_ms "$pid")" -v n="$n" 'BEGIN { printf "%.2fms", (b - a) / (n + 5) }')|"
}
run "postgraphile5 tree" http://127.0.0.1:$pg_port/graphql "$pg_tree"
run "dpcma-computed tree" http://127.0.0.1:$dp_port/query "$dp_tree"
run "dpcma-cached tree" http://127.0.0.1:$((dp_port + 1))/query "$dp_tree"
run "postgraphile5 drilldown($ccg)" http://127.0.0.1:$pg_port/graphql "$pg_drill"
run "dpcma-computed drilldown($ccg)" http://127.0.0.1:$dp_port/query "$dp_drill"
run "dpcma-cached drilldown($ccg)" http://127.0.0.1:$((dp_port + 1))/query "$dp_drill"
each=(-each-ccg -ccgs "$ccgs" -duration "$((2 * secs))s")
run "postgraphile5 every CCG" http://127.0.0.1:$pg_port/graphql "$pg_each" "${each[@]}"
run "dpcma-computed every CCG" http://127.0.0.1:$dp_port/query "$dp_each" "${each[@]}"
run "dpcma-cached every CCG" http://127.0.0.1:$((dp_port + 1))/query "$dp_each" "${each[@]}"
