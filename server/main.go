// Command server runs dpcma: the GraphQL service for NHS digital primary
// care maturity. Subcommands: serve (default), seed, migrate, token, import.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"dpcma/server/accounts"
	"dpcma/server/app"
	"dpcma/server/database"
	"dpcma/server/odsimport"
	"dpcma/server/rollup"
	"dpcma/server/seed"
	"dpcma/server/telemetry"

	"entgo.io/ent/dialect"
	"go.opentelemetry.io/otel/trace"
)

const usage = `dpcma: Digital Primary Care Maturity Assurance as a GraphQL service.

Usage:
  go run ./server [serve] [flags]   start the service (default)
  go run ./server migrate [flags]   create or upgrade the database schema
  go run ./server seed [flags]      load a demo data set into an empty database
  go run ./server verify [--all-periods] [flags]
                                    compare the derived tables (scores, roll-ups, priority
                                    sums, compliance counts) of the open periods, or of every
                                    period, with a rebuild from the answers; exit status 1
                                    naming the first differences
  go run ./server rebuild [--all-periods] [flags]
                                    recompute them from the answers in one transaction
                                    (submissions wait for it); a closed period keeps the
                                    figures of its own tree unless --all-periods
  go run ./server import pomi FILE --period CODE [flags]
  go run ./server import suppliers FILE [flags]
  go run ./server import responses FILE [flags]
                                    load answers from a POMI file or an answers CSV,
                                    clinical systems from a supplier snapshot
                                    (see import --help)
  go run ./server token create --email E --role ROLE [--org CODE] [--label L] [flags]
                                    make the account active if need be, grant it ROLE
                                    (over practice or organisation CODE) and print a new
                                    token alone on the last line
  go run ./server token list [flags]
                                    list every token: account, roles, label, dates
  go run ./server token revoke (--email E [--label L] | --token T) [flags]
                                    revoke an account's tokens, one by label, or one token
  go run ./server import ods --practices epraccur.csv --ccgs eccg.csv [--regions eauth.csv]
        [--list-sizes F] [--stp-lookup F] [--stp-names F] [--payments F]
        [--max-close 5%] [--report FILE] [flags]
                                    bring organisations and practices up to date with the
                                    published files (plain or .gz), by code; print counts by
                                    kind, a few examples of what was created, updated, closed
                                    and skipped (all of them in --report FILE); refuse to close
                                    more than --max-close of the open practices; exit status 1
                                    when refused or failed, and then nothing is written

Every flag can also be set with an environment variable DPCMA_<NAME>
(e.g. DPCMA_DB, DPCMA_ADDR); a flag on the command line wins.

Flags:
`

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "dpcma:", err)
		os.Exit(1)
	}
}

type settings struct {
	addr        string
	db          string
	allPeriods  bool // verify, rebuild: every period
	seed        string
	maxBody     int64
	timeout     time.Duration
	maxPageSize int
	noIntrospec bool
	memLimit    int64
	concurrent  int
	cacheMB     int64
	maxDepth    int
	maxCost     int64
	maxTokens   int
	rateLimit   float64
	rateBurst   int
	trustProxy  bool
	noAnonymous bool
	smtpURL     string
	smtpFrom    string
	publicURL   string
	corsOrigins string
	odataPage   int
	exportTime  time.Duration
	logFormat   string
	logLevel    string
	otelURL     string
	pprofAddr   string
	pgPrepared  int
	// token commands
	email, role, org, label, token string
	// import ods
	files      odsimport.Files
	maxClose   float64
	reportFile string
}

func parse(cmd string, args []string) (*settings, error) {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	s := &settings{}
	fs.StringVar(&s.addr, "addr", "127.0.0.1:8080", "listen address")
	fs.StringVar(&s.db, "db", database.DefaultDSN, "database DSN: sqlite:///path/file.db or postgres://user@host:5432/db?sslmode=disable")
	fs.StringVar(&s.seed, "seed", seed.England, "data set for an empty database: england, small or none")
	fs.Int64Var(&s.maxBody, "max-body-bytes", app.DefaultConfig.MaxBodyBytes, "largest accepted request body")
	fs.DurationVar(&s.timeout, "request-timeout", app.DefaultConfig.RequestTimeout, "longest time one request may take")
	fs.IntVar(&s.pgPrepared, "pg-prepared-statements", database.PreparedPerConnection, "read statements kept prepared per PostgreSQL connection; 0 turns them off (for a pooler in transaction mode)")
	fs.IntVar(&s.maxPageSize, "max-page-size", app.DefaultConfig.MaxPageSize, "largest first/last on a connection")
	fs.IntVar(&s.maxDepth, "max-depth", app.DefaultConfig.MaxDepth, "deepest nesting of fields in an operation; 0 turns the limit off")
	fs.IntVar(&s.maxTokens, "max-tokens", app.DefaultConfig.MaxTokens, "most tokens (names, punctuation, values) in one GraphQL document; 0 turns the limit off")
	fs.Int64Var(&s.maxCost, "max-cost", app.DefaultConfig.MaxCost, "highest cost of an operation (connections count by page size, see README); 0 turns the limit off")
	fs.IntVar(&s.concurrent, "max-concurrent", app.DefaultConfig.MaxConcurrent, "GraphQL operations run at once; more wait their turn")
	fs.Int64Var(&s.memLimit, "memory-limit-mb", 160, "soft limit of the Go heap in MiB (GOMEMLIMIT); 0 leaves it unset")
	fs.Int64Var(&s.cacheMB, "response-cache-mb", app.DefaultConfig.ResponseCacheBytes>>20, "memory for repeated queries' results, dropped when data changes; 0 turns the cache off")
	fs.Float64Var(&s.rateLimit, "rate-limit", app.DefaultConfig.RateLimit, "requests a second one account or anonymous address may send to /query; 0 turns the limit off")
	fs.IntVar(&s.rateBurst, "rate-burst", app.DefaultConfig.RateBurst, "requests one client may send at once before --rate-limit applies")
	fs.BoolVar(&s.trustProxy, "trust-proxy", false, "key anonymous clients by the last X-Forwarded-For address (set only behind a proxy that appends it)")
	fs.BoolVar(&s.noIntrospec, "no-introspection", false, "refuse __schema/__type queries (federation's _service stays available)")
	fs.BoolVar(&s.noAnonymous, "no-anonymous-reads", false, "refuse GraphQL requests without a token, but for register, confirmRegistration and _service")
	fs.StringVar(&s.smtpURL, "smtp-url", "", "mail server for confirmation links, smtp://user:password@host:port; unset, links are logged")
	fs.StringVar(&s.smtpFrom, "smtp-from", "", "sender address of confirmation mails")
	fs.StringVar(&s.publicURL, "public-url", "", "the service's address as people reach it, for confirmation links (default http://<addr>)")
	fs.StringVar(&s.corsOrigins, "cors-origins", "", "origins whose pages may call the API, comma-separated (https://dash.example.nhs.uk), or * for any without credentials; unset: same-origin only")
	fs.IntVar(&s.odataPage, "odata-page-size", app.DefaultBIConfig.ODataPageSize, "rows of one OData page before @odata.nextLink")
	fs.DurationVar(&s.exportTime, "export-timeout", app.DefaultBIConfig.Export.Timeout, "longest time one export or OData request may take")
	fs.StringVar(&s.logFormat, "log-format", "json", "log lines as json or text")
	fs.StringVar(&s.logLevel, "log-level", "info", "least severe log lines written: debug, info, warn or error")
	fs.StringVar(&s.otelURL, "otel-endpoint", "", "send OpenTelemetry traces over OTLP/HTTP to this URL (e.g. http://127.0.0.1:4318); unset, no tracing")
	fs.StringVar(&s.pprofAddr, "pprof", "", "serve Go's profiles (/debug/pprof/) on this loopback address, e.g. 127.0.0.1:6060; unset, none")
	if strings.HasPrefix(cmd, "token") {
		fs.StringVar(&s.email, "email", "", "token: the account's email address")
		fs.StringVar(&s.role, "role", "", "token create: VIEWER, PRACTICE, CCG, REGION or ADMIN")
		fs.StringVar(&s.org, "org", "", "token create: the practice (PRACTICE) or organisation (CCG, REGION) ODS code")
		fs.StringVar(&s.label, "label", "", "token create, revoke: the token's label")
		fs.StringVar(&s.token, "token", "", "token revoke: the token itself")
	}
	if cmd == "verify" || cmd == "rebuild" {
		fs.BoolVar(&s.allPeriods, "all-periods", false, "verify, rebuild: every period, not only the open ones (a closed period's figures then follow today's tree)")
	}
	if cmd == "import ods" {
		f := &s.files
		fs.StringVar(&f.Practices, "practices", "", "import ods: NHS Digital's epraccur file (required)")
		fs.StringVar(&f.CCGs, "ccgs", "", "import ods: NHS Digital's eccg file (required)")
		fs.StringVar(&f.Regions, "regions", "", "import ods: NHS Digital's eauth file (regions); needed for new regions")
		fs.StringVar(&f.ListSizes, "list-sizes", "", "import ods: Numbers of Patients Registered at a GP Practice; without it list sizes stay")
		fs.StringVar(&f.STPLookup, "stp-lookup", "", "import ods: an ONS CCG to STP lookup of the files' year (columns CCGyyCDH, STPyyCD, STPyyNM); without it CCGs keep their STPs, and a new CCG takes the STP most of its practices were in")
		fs.StringVar(&f.STPNames, "stp-names", "", "import ods: the ONS STP footprints (code, name); without it STPs keep their names")
		fs.StringVar(&f.Payments, "payments", "", "import ods: NHS Payments to General Practice; without it contract type, dispensing, rurality and weighted patients stay")
		s.maxClose = odsimport.DefaultMaxClose
		fs.Func("max-close", "import ods: the largest share of open practices the import may close, e.g. 5% or 0.05; more, and it refuses (default 5%)", func(v string) error {
			share, err := odsimport.ParsePercent(v)
			s.maxClose = share
			return err
		})
		fs.StringVar(&s.reportFile, "report", "", "import ods: write the whole report (every line, every skipped code) to this file")
	}
	// Environment variables give the defaults; explicit flags override them.
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		name := "DPCMA_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(name); ok {
			if err := f.Value.Set(v); err != nil && envErr == nil {
				envErr = fmt.Errorf("bad %s=%q: %w", name, v, err)
			}
		}
	})
	if envErr != nil {
		return nil, envErr
	}
	// Errors get one line (from main); only --help prints the usage.
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(os.Stdout)
			fs.Usage()
		}
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (see --help)", fs.Arg(0))
	}
	for name, v := range map[string]int64{"max-body-bytes": s.maxBody, "max-page-size": int64(s.maxPageSize),
		"max-concurrent": int64(s.concurrent), "memory-limit-mb": s.memLimit, "response-cache-mb": s.cacheMB, "request-timeout": int64(s.timeout),
		"max-depth": int64(s.maxDepth), "max-cost": s.maxCost, "max-tokens": int64(s.maxTokens), "rate-burst": int64(s.rateBurst),
		"odata-page-size": int64(s.odataPage) - 1, "export-timeout": int64(s.exportTime) - 1, "pg-prepared-statements": int64(s.pgPrepared)} {
		if v < 0 {
			if name == "odata-page-size" || name == "export-timeout" {
				return nil, fmt.Errorf("--%s must be positive", name)
			}
			return nil, fmt.Errorf("--%s must not be negative", name)
		}
	}
	if s.rateLimit < 0 || math.IsNaN(s.rateLimit) {
		return nil, errors.New("--rate-limit must not be negative")
	}
	if s.rateLimit > 0 && s.rateBurst < 1 {
		return nil, errors.New("--rate-burst must be at least 1 while --rate-limit is on")
	}
	for _, o := range splitList(s.corsOrigins) {
		if o != "*" && (!strings.HasPrefix(o, "http://") && !strings.HasPrefix(o, "https://") || strings.Count(o, "/") > 2) {
			return nil, fmt.Errorf("bad --cors-origins entry %q: give an origin such as https://dash.example.nhs.uk, or *", o)
		}
	}
	if s.pprofAddr != "" {
		host, _, err := net.SplitHostPort(s.pprofAddr)
		if ip := net.ParseIP(host); err != nil || host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return nil, fmt.Errorf("bad --pprof %q: give a loopback address such as 127.0.0.1:6060 (profiles are not for the network)", s.pprofAddr)
		}
	}
	switch s.seed {
	case seed.England, seed.Small, seed.None:
	default:
		return nil, fmt.Errorf("bad --seed %q: use england, small or none", s.seed)
	}
	return s, nil
}

// importODS runs "import ods": the report on stdout (a few examples of
// each kind) and, with --report, whole in a file, whether the import was
// applied, refused or failed; an error (exit status 1) when it was not
// applied, and then nothing was written.
func importODS(ctx context.Context, db *database.DB, s *settings, stdout io.Writer) error {
	rep, err := odsimport.Run(ctx, db, s.files, odsimport.Options{MaxClose: s.maxClose})
	if rep != nil {
		rep.Write(stdout)
		if s.reportFile != "" {
			var b bytes.Buffer
			rep.WriteAll(&b)
			if werr := os.WriteFile(s.reportFile, b.Bytes(), 0o644); werr != nil {
				err = errors.Join(err, fmt.Errorf("writing the report: %w", werr))
			}
		}
	}
	switch {
	case errors.Is(err, odsimport.ErrRefused):
		return fmt.Errorf("import ods refused, nothing written: %s", rep.Refused)
	case err != nil:
		return fmt.Errorf("import ods failed, nothing written: %w", err)
	}
	return nil
}

// run runs the command of args, writing its results to stdout.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve", "migrate", "seed", "verify", "rebuild":
	case "import":
		if len(args) == 0 || args[0] != "ods" {
			return importCommand(ctx, args, stdout) // pomi, responses
		}
		cmd, args = "import ods", args[1:]
	case "token":
		sub := ""
		if len(args) > 0 {
			sub, args = args[0], args[1:]
		}
		switch sub {
		case "create", "list", "revoke":
			cmd += " " + sub
		default:
			return fmt.Errorf("token needs a command: create, list or revoke (see --help)")
		}
	case "help":
		_, err := parse("dpcma", []string{"--help"})
		return err
	default:
		return fmt.Errorf("unknown command %q: use serve, migrate, seed, verify, rebuild, import or token (see --help)", cmd)
	}
	s, err := parse(cmd, args)
	if err != nil {
		return err
	}
	logger, err := telemetry.NewLogger(os.Stderr, s.logFormat, s.logLevel)
	if err != nil {
		return err
	}
	slog.SetDefault(logger)
	if s.publicURL == "" {
		s.publicURL = "http://" + s.addr
	}
	mail := accounts.Config{SMTPURL: s.smtpURL, SMTPFrom: s.smtpFrom, PublicURL: s.publicURL}
	if err := mail.Check(); err != nil {
		return err // before the database is opened
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	// Migrating and seeding run long statements: their connections have no
	// statement timeout. The server's have (see serve).
	db, err := database.Open(ctx, s.db, database.WithPreparedStatements(s.pgPrepared))
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
	switch cmd {
	case "migrate":
		fmt.Fprintln(stdout, "dpcma: schema is up to date on", db.Redacted)
		return nil
	case "seed":
		return seedDatabase(ctx, db, s.seed)
	case "verify":
		return verifyDerived(ctx, db, s.allPeriods, stdout)
	case "rebuild":
		return rebuildDerived(ctx, db, s.allPeriods, stdout)
	case "import ods":
		return importODS(ctx, db, s, stdout)
	case "token create", "token list", "token revoke":
		svc, err := accounts.New(db.Client, db.Dialect, mail)
		if err != nil {
			return err
		}
		return tokenCommand(ctx, svc, cmd, s, stdout)
	}
	empty, err := seed.IsEmpty(ctx, db)
	if err != nil {
		return err
	}
	if empty && s.seed != seed.None {
		if err := seedDatabase(ctx, db, s.seed); err != nil {
			return err
		}
	}
	if db.Dialect != dialect.Postgres || s.timeout <= 0 {
		return serve(ctx, db, s, mail)
	}
	// PostgreSQL stops what the server asks for once the request's time
	// is up, even if the cancellation never reaches it: the server's pool
	// has the request timeout as statement_timeout.
	db.Close()
	served, err := database.Open(ctx, s.db, database.WithStatementTimeout(s.timeout), database.WithPreparedStatements(s.pgPrepared))
	if err != nil {
		return err
	}
	defer served.Close()
	return serve(ctx, served, s, mail)
}

// splitList splits a comma-separated flag, dropping empty entries.
func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, strings.TrimSuffix(v, "/"))
		}
	}
	return out
}

func seedDatabase(ctx context.Context, db *database.DB, kind string) error {
	fmt.Fprintf(os.Stderr, "dpcma: seeding %s with the %q data set\n", db.Redacted, kind)
	st, err := seed.Run(ctx, db, kind, os.Stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "dpcma: seeded %d organisations, %d practices, %d indicators, %d periods, %d answers in %s\n",
		st.Organisations, st.Practices, st.Indicators, st.Periods, st.Responses, st.Took.Round(time.Millisecond))
	return nil
}

func serve(ctx context.Context, db *database.DB, s *settings, mail accounts.Config) error {
	app.TuneGC(s.memLimit)
	svc, err := accounts.New(db.Client, db.Dialect, mail)
	if err != nil {
		return err
	}
	var tracer trace.Tracer
	if s.otelURL != "" {
		var stopTracing func(context.Context) error
		if tracer, stopTracing, err = telemetry.StartTracing(ctx, s.otelURL, "dpcma"); err != nil {
			return err
		}
		defer func() {
			stopCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := stopTracing(stopCtx); err != nil {
				slog.Warn("flushing traces failed", "err", err)
			}
		}()
		slog.Info("tracing on", "otel_endpoint", telemetry.Endpoint(s.otelURL))
	}
	cfg := app.Config{Tracer: tracer, MaxBodyBytes: s.maxBody, RequestTimeout: s.timeout, MaxPageSize: s.maxPageSize,
		MaxConcurrent: s.concurrent, NoIntrospection: s.noIntrospec, ResponseCacheBytes: s.cacheMB << 20,
		MaxDepth: s.maxDepth, MaxCost: s.maxCost, MaxTokens: s.maxTokens, RateLimit: s.rateLimit, RateBurst: s.rateBurst, TrustProxy: s.trustProxy,
		NoAnonymousReads: s.noAnonymous, Accounts: svc, BI: app.DefaultBIConfig}
	cfg.BI.CORSOrigins = splitList(s.corsOrigins)
	cfg.BI.ODataPageSize = s.odataPage
	cfg.BI.Export.Timeout = s.exportTime
	srv := &http.Server{
		Addr:              s.addr,
		Handler:           app.New(db, cfg),
		ReadHeaderTimeout: 10 * time.Second,
	}
	if s.pprofAddr != "" {
		stop, err := servePprof(s.pprofAddr)
		if err != nil {
			return err
		}
		defer stop()
	}
	// Bind first, so that "ready" is only said of a port that is ours.
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("cannot serve on %s: %w", s.addr, err)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	slog.Info("dpcma ready", "url", "http://"+ln.Addr().String()+"/", "db", db.Redacted)
	select {
	case err := <-errc:
		return fmt.Errorf("cannot serve on %s: %w", s.addr, err)
	case <-ctx.Done():
	}
	slog.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}
