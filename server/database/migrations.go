package database

import (
	"context"
	stdsql "database/sql"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	goosedb "github.com/pressly/goose/v3/database"
)

// PostgreSQL's schema is versioned: tools/migrations writes each change
// of the ent schema as a migration here (goose format, made by Atlas), and
// Migrate applies the ones a database lacks. SQLite files keep ent's
// automatic migration: they are made and upgraded by one binary.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// versionTable is where applied migrations are recorded.
const versionTable = "goose_db_version"

// migratePostgres brings a PostgreSQL database up to the newest migration.
// A database newer than this binary is refused. A database made before
// versioning (by ent's automatic migration) is upgraded that way once and
// recorded as holding every migration.
func (db *DB) migratePostgres(ctx context.Context) error {
	files, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db.SQL, files, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return err
	}
	sources := p.ListSources()
	latest := sources[len(sources)-1].Version
	versioned, err := tableExists(ctx, db.SQL, versionTable)
	if err != nil {
		return err
	}
	made, err := tableExists(ctx, db.SQL, "organisations")
	if err != nil {
		return err
	}
	if !versioned && made {
		return db.baseline(ctx, sources)
	}
	current, err := p.GetDBVersion(ctx)
	if err != nil {
		return err
	}
	if current > latest {
		return fmt.Errorf("the database is at migration %d, newer than this dpcma knows (%d): run a newer dpcma", current, latest)
	}
	_, err = p.Up(ctx)
	return err
}

// baseline upgrades a database made before versioning with ent's
// automatic migration and records every migration as applied.
func (db *DB) baseline(ctx context.Context, sources []*goose.Source) error {
	if err := db.Client.Schema.Create(ctx); err != nil {
		return fmt.Errorf("upgrading a database made before versioned migrations: %w", err)
	}
	store, err := goosedb.NewStore(goose.DialectPostgres, versionTable)
	if err != nil {
		return err
	}
	tx, err := db.SQL.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if err := store.CreateVersionTable(ctx, tx); err != nil {
		return err
	}
	for _, v := range append([]int64{0}, versions(sources)...) {
		if err := store.Insert(ctx, tx, goosedb.InsertRequest{Version: v}); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func versions(sources []*goose.Source) []int64 {
	out := make([]int64, len(sources))
	for i, s := range sources {
		out[i] = s.Version
	}
	return out
}

func tableExists(ctx context.Context, db *stdsql.DB, name string) (bool, error) {
	var found stdsql.NullString // NULL when there is no such table
	err := db.QueryRowContext(ctx, "SELECT to_regclass($1)::text", name).Scan(&found)
	return found.Valid, err
}
