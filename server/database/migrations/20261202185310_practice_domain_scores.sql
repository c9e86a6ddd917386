-- +goose Up
-- drop index "practicescore_practice_id_period_id_domain" from table: "practice_scores"
DROP INDEX "practicescore_practice_id_period_id_domain";
-- modify "practice_scores" table
ALTER TABLE "practice_scores" ADD COLUMN "domain_scores" double precision[] NULL;
-- fill it for the scores already there, as rollup.CopyDomainScores keeps it
UPDATE practice_scores t SET domain_scores = s.scores
FROM (SELECT a.practice_id, a.period_id, array_agg(d.score ORDER BY c.domain) AS scores
  FROM practice_scores a CROSS JOIN (SELECT DISTINCT domain FROM indicators) c
  LEFT JOIN practice_scores d ON d.practice_id = a.practice_id AND d.period_id = a.period_id AND d.domain = c.domain
  WHERE a.domain = ''
  GROUP BY a.practice_id, a.period_id) s
WHERE t.practice_id = s.practice_id AND t.period_id = s.period_id AND t.domain = '';
-- create index "practicescore_practice_id_period_id_domain" to table: "practice_scores"
CREATE UNIQUE INDEX "practicescore_practice_id_period_id_domain" ON "practice_scores" ("practice_id", "period_id", "domain") INCLUDE ("score", "level", "completion", "domain_scores");

-- +goose Down
-- reverse: create index "practicescore_practice_id_period_id_domain" to table: "practice_scores"
DROP INDEX "practicescore_practice_id_period_id_domain";
-- reverse: modify "practice_scores" table
ALTER TABLE "practice_scores" DROP COLUMN "domain_scores";
-- reverse: drop index "practicescore_practice_id_period_id_domain" from table: "practice_scores"
CREATE UNIQUE INDEX "practicescore_practice_id_period_id_domain" ON "practice_scores" ("practice_id", "period_id", "domain") INCLUDE ("score", "level", "completion");
