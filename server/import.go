package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"dpcma/server/database"
	"dpcma/server/imports"
	"dpcma/server/rollup"

	"golang.org/x/term"
)

const importUsage = `Usage:
  go run ./server import pomi FILE.csv|FILE.zip --period CODE [--db DSN]
        answers to PO01-PO04 for a half-year period (e.g. 2018-19-H1) from an NHS Digital
        Patient Online Management Information file; the period is created if missing
  go run ./server import suppliers FILE.json [--db DSN]
        practices' clinical systems from a POMI principal supplier snapshot (a JSON array of
        {PeriodEnd, GPPracticeCode, Supplier}, as pomi_suppliers_2016-12.json; plain or .gz)
  go run ./server import responses FILE.csv [--db DSN]
        answers to any indicators: a CSV with the header subject,indicator,period,value
        and optionally not_applicable; one bad row imports nothing

Progress goes to standard error (a bar on a terminal), the summary to standard output.

Flags:
`

// importCommand runs "import pomi", "import suppliers" or "import responses" (args follow
// "import"): operator commands that load answers from files.
func importCommand(ctx context.Context, args []string, stdout io.Writer) error {
	kind := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		kind, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("import "+kind, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), importUsage)
		fs.PrintDefaults()
	}
	dsn := fs.String("db", database.DefaultDSN, "database DSN: sqlite:///path/file.db or postgres://user@host:5432/db?sslmode=disable")
	period := ""
	if kind == "pomi" {
		fs.StringVar(&period, "period", "", "the half-year period the file answers, e.g. 2018-19-H1")
	}
	if v, ok := os.LookupEnv("DPCMA_DB"); ok {
		*dsn = v
	}
	fs.SetOutput(io.Discard)
	// Flags may come before or after the file.
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.SetOutput(stdout)
				fs.Usage()
			}
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		files, args = append(files, fs.Arg(0)), fs.Args()[1:]
	}
	switch {
	case kind != "pomi" && kind != "responses" && kind != "suppliers":
		return errors.New("import needs a kind: ods, pomi, suppliers or responses (see import --help)")
	case len(files) != 1:
		return fmt.Errorf("import %s takes one file, got %d (see import --help)", kind, len(files))
	case kind == "pomi" && period == "":
		return errors.New("import pomi needs --period, e.g. --period 2018-19-H1")
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	db, err := database.Open(ctx, *dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	if err := rollup.Backfill(ctx, db.SQL, db.Dialect); err != nil {
		return err
	}
	opts := imports.Options{Progress: os.Stderr, Terminal: term.IsTerminal(int(os.Stderr.Fd()))}
	var sum *imports.Summary
	switch kind {
	case "pomi":
		sum, err = imports.POMI(ctx, db, files[0], period, opts)
	case "suppliers":
		sum, err = imports.Suppliers(ctx, db, files[0], opts)
	default:
		sum, err = imports.Responses(ctx, db, files[0], opts)
	}
	if database.OutOfSpace(err) {
		// The import is one transaction: it was rolled back whole.
		return fmt.Errorf("the database has no room to write, so nothing was imported: free some space and run the import again (%w)", err)
	}
	if err != nil {
		return err
	}
	sum.Write(stdout)
	return nil
}
