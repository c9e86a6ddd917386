-- +goose Up
-- modify "organisations" table
ALTER TABLE "organisations" ADD COLUMN "status" character varying NOT NULL DEFAULT 'OPEN';

-- +goose Down
-- reverse: modify "organisations" table
ALTER TABLE "organisations" DROP COLUMN "status";
