-- +goose Up
-- modify "practices" table
ALTER TABLE "practices" ADD COLUMN "status" character varying NOT NULL DEFAULT 'ACTIVE', ADD COLUMN "contract_type" character varying NULL, ADD COLUMN "dispensing" boolean NULL, ADD COLUMN "rurality" character varying NULL, ADD COLUMN "weighted_patients" double precision NULL;
-- create index "practice_status" to table: "practices"
CREATE INDEX "practice_status" ON "practices" ("status");

-- +goose Down
-- reverse: create index "practice_status" to table: "practices"
DROP INDEX "practice_status";
-- reverse: modify "practices" table
ALTER TABLE "practices" DROP COLUMN "weighted_patients", DROP COLUMN "rurality", DROP COLUMN "dispensing", DROP COLUMN "contract_type", DROP COLUMN "status";
