-- Written by hand: the ent schema has no storage parameters.
--
-- A period's answers are revised wholesale (an import replaces them, and
-- practices resubmit), and no revision changes an indexed column. With half
-- of each page kept free, the new version of a row fits on its page: a HOT
-- update, which writes no entry in any of the table's four indexes. Pages
-- written before this migration stay full until the table is rewritten
-- (VACUUM FULL responses).

-- +goose Up
ALTER TABLE "responses" SET (fillfactor = 50);

-- +goose Down
ALTER TABLE "responses" RESET (fillfactor);
