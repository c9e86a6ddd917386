#!/usr/bin/env bash
# PostgreSQL stopped and started again under the mixed load: runs
# `loaddriver -query mixed -expect-outage` against a dpcma server on
# PostgreSQL, stops the cluster STOP_AFTER seconds into the load for
# STOP_FOR seconds, and polls /readyz throughout. It passes only if
# /readyz answered 503 while the database was down and 200 soon after it
# came back, and the driver passed: requests failed fast with
# SERVICE_UNAVAILABLE, the server answered again without a restart, and
# every acknowledged submission is stored whole and in the roll-ups.
#
# Stopping the cluster breaks everything else using it: keep STOP_FOR
# short. The cluster is started again however the script ends.
#
#   DB=postgres://postgres@127.0.0.1:5432/dpcma_soak tools/loaddriver/pg-restart.sh
set -euo pipefail

URL=${URL:-http://127.0.0.1:18090/query}
DB=${DB:?DB: the PostgreSQL database of the server, postgres://...}
TOKENS=${TOKENS:-/tmp/dpcma-practice-tokens.txt} # made in DB when it does not exist
CLIENTS=${CLIENTS:-16}
DURATION=${DURATION:-50s}
STOP_AFTER=${STOP_AFTER:-15}
STOP_FOR=${STOP_FOR:-8}
READY_WITHIN=${READY_WITHIN:-10}
CLUSTER_VERSION=${CLUSTER_VERSION:-15}
CLUSTER_NAME=${CLUSTER_NAME:-main}

if ((STOP_FOR > 20)); then
	echo "pg-restart: STOP_FOR=$STOP_FOR: keep outages of a shared cluster under 20 s" >&2
	exit 2
fi
base=${URL%/query}
work=$(mktemp -d)
stopped=0
driver=
cleanup() {
	if ((stopped)); then
		pg_ctlcluster "$CLUSTER_VERSION" "$CLUSTER_NAME" start || true
	fi
	if [[ -n $driver ]] && kill -0 "$driver" 2>/dev/null; then
		kill "$driver" || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

cd "$(dirname "$0")/../.."
go build -o "$work/loaddriver" ./tools/loaddriver
curl -fsS "$base/readyz" >/dev/null || { echo "pg-restart: $base/readyz is not ready" >&2; exit 1; }

"$work/loaddriver" -query mixed -url "$URL" -clients "$CLIENTS" -duration "$DURATION" \
	-practice-tokens "$TOKENS" -db "$DB" -expect-outage >"$work/driver.log" 2>&1 &
driver=$!
# The load starts once the driver has read the catalogue and the
# practices' answers.
until grep -q '^mixed: period' "$work/driver.log"; do
	kill -0 "$driver" 2>/dev/null || { cat "$work/driver.log"; exit 1; }
	sleep 0.2
done
sleep "$STOP_AFTER"

ready() { curl -s -o /dev/null -m 2 -w '%{http_code}' "$base/readyz" || true; }
echo "pg-restart: stopping PostgreSQL $CLUSTER_VERSION/$CLUSTER_NAME for ${STOP_FOR}s"
stopped=1
t0=$(date +%s.%N)
pg_ctlcluster "$CLUSTER_VERSION" "$CLUSTER_NAME" stop
down=()
end=$(($(date +%s) + STOP_FOR))
while (($(date +%s) < end)); do
	down+=("$(ready)")
	sleep 0.5
done
pg_ctlcluster "$CLUSTER_VERSION" "$CLUSTER_NAME" start
stopped=0
t1=$(date +%s.%N)
back=
for _ in $(seq 1 $((READY_WITHIN * 10))); do
	if [[ $(ready) == 200 ]]; then
		back=$(date +%s.%N)
		break
	fi
	sleep 0.1
done
echo "pg-restart: PostgreSQL was down for $(echo "$t1 - $t0" | bc) s; /readyz while down: $(printf '%s\n' "${down[@]}" | sort | uniq -c | tr -s ' \n' ' ')"

fail=0
if ! wait "$driver"; then
	fail=1
fi
driver=
cat "$work/driver.log"
if [[ -z $back ]]; then
	echo "FAIL: /readyz did not answer 200 within ${READY_WITHIN}s of PostgreSQL starting"
	fail=1
else
	echo "pg-restart: /readyz answered 200 $(echo "$back - $t1" | bc) s after PostgreSQL started"
fi
if [[ " ${down[*]} " != *" 503 "* ]] || printf '%s\n' "${down[@]}" | grep -qv '^503$'; then
	echo "FAIL: /readyz should answer 503 throughout the outage"
	fail=1
fi
if ((fail)); then
	echo "pg-restart: FAIL"
	exit 1
fi
echo "pg-restart: PASS"
