-- Written by hand: the ent schema has no storage parameters.
--
-- Every submission adds its change to a few hundred rows of
-- org_indicator_rollups (each organisation above the practice, for each
-- indicator whose figures moved), and no change touches an indexed column.
-- With half of each page free, the new version of a row fits on its page:
-- a HOT update, which writes no index entry. The table is small (about
-- 76,000 rows for England over six periods).

-- +goose Up
ALTER TABLE "org_indicator_rollups" SET (fillfactor = 50);

-- +goose Down
ALTER TABLE "org_indicator_rollups" RESET (fillfactor);
