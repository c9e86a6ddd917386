// Command migrations writes PostgreSQL's versioned migrations from the ent
// schema (server/database/migrations, goose format), or checks that they
// agree with it. Atlas replays the directory on a scratch database it
// creates and drops on the given server, and writes the difference from
// the ent schema as a new file.
//
//	go run ./tools/migrations -server postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable -name add_practice_status
//	go run ./tools/migrations -server ... -check    # fails if the schema has changes no migration holds
//	go run ./tools/migrations -rehash               # after writing a migration by hand
//
// A hand-written migration holds what the ent schema cannot say (storage
// parameters); -rehash records it in atlas.sum.
package main

import (
	"context"
	stdsql "database/sql"
	"flag"
	"fmt"
	"net/url"
	"os"
	"time"

	"dpcma/ent/migrate"

	atlas "ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/sqltool"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql/schema"

	_ "ariga.io/atlas/sql/postgres" // Atlas's PostgreSQL driver, for the replay
	_ "github.com/lib/pq"           // the "postgres" driver
)

const dir = "server/database/migrations"

func main() {
	server := flag.String("server", "", "a PostgreSQL server URL (with sslmode=disable for a local one); a scratch database is made there and dropped")
	name := flag.String("name", "changes", "name of the new migration")
	check := flag.Bool("check", false, "write nothing; fail if the ent schema has changes that no migration holds")
	rehash := flag.Bool("rehash", false, "only rewrite atlas.sum, after a migration was written or edited by hand")
	flag.Parse()
	if *rehash {
		if err := rehashDir(); err != nil {
			fmt.Fprintln(os.Stderr, "migrations:", err)
			os.Exit(1)
		}
		return
	}
	if *server == "" {
		fmt.Fprintln(os.Stderr, "migrations: -server is required")
		os.Exit(2)
	}
	if err := run(*server, *name, *check); err != nil {
		fmt.Fprintln(os.Stderr, "migrations:", err)
		os.Exit(1)
	}
}

func run(server, name string, check bool) error {
	ctx := context.Background()
	target := dir
	if check {
		// Diff into a copy: a new file there means the schema moved on.
		tmp, err := os.MkdirTemp("", "dpcma-migrations-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		if err := os.CopyFS(tmp, os.DirFS(dir)); err != nil {
			return err
		}
		target = tmp
	}
	before, err := os.ReadDir(target)
	if err != nil {
		return err
	}
	dev, drop, err := scratch(server)
	if err != nil {
		return err
	}
	defer drop()
	d, err := sqltool.NewGooseDir(target)
	if err != nil {
		return err
	}
	err = migrate.NamedDiff(ctx, dev, name,
		schema.WithDir(d),
		schema.WithMigrationMode(schema.ModeReplay),
		schema.WithDialect(dialect.Postgres),
		schema.WithFormatter(sqltool.GooseFormatter),
	)
	if err != nil {
		return err
	}
	after, err := os.ReadDir(target)
	if err != nil {
		return err
	}
	switch {
	case check && len(after) != len(before):
		return fmt.Errorf("the ent schema has changes that no migration in %s holds: run go run ./tools/migrations -server URL -name NAME", dir)
	case check:
		fmt.Println("migrations agree with the ent schema")
	case len(after) == len(before):
		fmt.Println("no changes: no migration written")
	default:
		fmt.Printf("wrote a migration to %s\n", dir)
	}
	return atlas.Validate(d)
}

// rehashDir rewrites the directory's atlas.sum from its files.
func rehashDir() error {
	d, err := sqltool.NewGooseDir(dir)
	if err != nil {
		return err
	}
	sum, err := d.Checksum()
	if err != nil {
		return err
	}
	return atlas.WriteSumFile(d, sum)
}

// scratch makes an empty database on the server for Atlas to replay on.
func scratch(server string) (string, func(), error) {
	admin, err := stdsql.Open("postgres", server)
	if err != nil {
		return "", nil, err
	}
	name := fmt.Sprintf("dpcma_migrations_%d", time.Now().UnixNano())
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("making a scratch database: %w", err)
	}
	u, err := url.Parse(server)
	if err != nil {
		admin.Close()
		return "", nil, err
	}
	u.Path = "/" + name
	return u.String(), func() {
		_, _ = admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		admin.Close()
	}, nil
}
