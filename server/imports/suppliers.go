package imports

import (
	"context"
	stdsql "database/sql"
	"fmt"
	"path/filepath"
	"sort"
	"time"

	"dpcma/server/database"
	"dpcma/server/ods"
	"dpcma/server/rollup"
)

// Reasons a supplier row is left out, beside the reader's own
// (ods.SkipUnknownSupplier and the others).
const SkipSupplierNotInHierarchy = "practices not in the hierarchy"

// Suppliers sets practices' clinical systems from a principal supplier
// snapshot as NHS.UK's profiles project keeps it (a JSON array of
// {PeriodEnd, GPPracticeCode, Supplier}, plain or gzipped), read by
// ods.ParseSuppliers. A practice whose supplier is unknown (NK,
// Informatica alone) keeps its system; practices not in the hierarchy
// are skipped and counted. Answers are not touched: CS01 is a period's
// answer and comes with the period's data (import pomi).
func Suppliers(ctx context.Context, db *database.DB, path string, o Options) (*Summary, error) {
	start := time.Now()
	name := filepath.Base(path)
	sum := &Summary{Command: "suppliers", File: name, Systems: &SystemCounts{}}
	in, err := ods.Open(path)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	rows, rep, err := ods.ParseSuppliers(in)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	sum.Rows = rep.Kept
	reasons := make([]string, 0, len(rep.Skipped))
	for reason, n := range rep.Skipped {
		reasons = append(reasons, reason)
		sum.Rows += n
	}
	sort.Strings(reasons)
	for _, reason := range reasons {
		sum.skip(reason, rep.Skipped[reason])
	}

	tx, err := db.SQL.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer func() { _ = tx.Rollback() }() // a no-op after Commit
	changed, unchanged, unknown, err := setSystems(ctx, tx, db.Dialect, rows)
	if err != nil {
		return nil, err
	}
	sum.skip(SkipSupplierNotInHierarchy, unknown)
	sum.Systems.Changed, sum.Systems.Unchanged = changed, unchanged
	if changed > 0 {
		if err := rollup.BumpRevision(ctx, tx); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	sum.Took = time.Since(start)
	return sum, nil
}

// setSystems sets each row's practice's clinical system in tx, counting
// the practices changed, unchanged and not in the hierarchy.
func setSystems(ctx context.Context, tx *stdsql.Tx, dialectName string, rows []ods.SupplierRow) (changed, unchanged, unknown int, err error) {
	current := map[string]string{}
	ids := map[string]int{}
	res, err := tx.QueryContext(ctx, "SELECT id, ods_code, clinical_system FROM practices")
	if err != nil {
		return 0, 0, 0, err
	}
	for res.Next() {
		var (
			id           int
			code, system string
		)
		if err := res.Scan(&id, &code, &system); err != nil {
			res.Close()
			return 0, 0, 0, err
		}
		ids[code], current[code] = id, system
	}
	if err := res.Close(); err != nil {
		return 0, 0, 0, err
	}
	if err := res.Err(); err != nil {
		return 0, 0, 0, err
	}
	update, err := tx.PrepareContext(ctx, database.Rebind(dialectName, "UPDATE practices SET clinical_system = ? WHERE id = ?"))
	if err != nil {
		return 0, 0, 0, err
	}
	defer update.Close()
	for _, r := range rows {
		id, ok := ids[r.Code]
		switch {
		case !ok:
			unknown++
		case current[r.Code] == r.System:
			unchanged++
		default:
			if _, err := update.ExecContext(ctx, r.System, id); err != nil {
				return 0, 0, 0, fmt.Errorf("practice %s: %w", r.Code, err)
			}
			changed++
		}
	}
	return changed, unchanged, unknown, nil
}
