-- +goose Up
-- drop index "practicescore_practice_id_period_id_domain" from table: "practice_scores"
DROP INDEX "practicescore_practice_id_period_id_domain";
-- create index "practicescore_practice_id_period_id_domain" to table: "practice_scores"
CREATE UNIQUE INDEX "practicescore_practice_id_period_id_domain" ON "practice_scores" ("practice_id", "period_id", "domain") INCLUDE ("score", "level", "completion");

-- +goose Down
-- reverse: create index "practicescore_practice_id_period_id_domain" to table: "practice_scores"
DROP INDEX "practicescore_practice_id_period_id_domain";
-- reverse: drop index "practicescore_practice_id_period_id_domain" from table: "practice_scores"
CREATE UNIQUE INDEX "practicescore_practice_id_period_id_domain" ON "practice_scores" ("practice_id", "period_id", "domain");
