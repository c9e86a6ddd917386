package telemetry

import (
	"database/sql"
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/trace"
)

// MaxOperations caps the distinct operation names that get series of
// their own; later names count as "other". Clients choose the names, so
// without a cap they could grow the series without bound.
const MaxOperations = 200

// Metrics holds one server's collectors in a registry of its own.
type Metrics struct {
	reg *prometheus.Registry

	httpRequests  *prometheus.CounterVec
	httpDuration  *prometheus.HistogramVec
	gqlRequests   *prometheus.CounterVec
	gqlDuration   *prometheus.HistogramVec
	gqlStatements *prometheus.HistogramVec
	batchSize     *prometheus.HistogramVec

	namesMu sync.RWMutex
	names   map[string]struct{}

	tracer trace.Tracer // nil: tracing off
}

// CacheStats is what the response cache reports.
type CacheStats struct {
	Hits, Misses, Evictions, Invalidations int64
	Entries, Bytes                         int64
}

// Options configure New.
type Options struct {
	// DB is the pool whose statistics are exported (nil: none).
	DB *sql.DB
	// Cache reads the response cache's figures at scrape time (nil: none).
	Cache func() CacheStats
	// Tracer, when set, makes spans per HTTP request and per GraphQL
	// operation.
	Tracer trace.Tracer
}

// latency buckets: from a cached answer (under a millisecond) to the
// request timeout.
var latencyBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// New returns the metrics of one server, with the Go runtime, process and
// database pool collectors registered beside dpcma's own.
func New(opts Options) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), names: map[string]struct{}{}, tracer: opts.Tracer}
	m.httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dpcma_http_requests_total", Help: "HTTP requests by route pattern and status code.",
	}, []string{"route", "code"})
	m.httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "dpcma_http_request_duration_seconds", Help: "HTTP request latency by route pattern.", Buckets: latencyBuckets,
	}, []string{"route"})
	m.gqlRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dpcma_graphql_requests_total",
		Help: "GraphQL requests by operation name (anonymous, other past the cap) and outcome (ok or the first error's code).",
	}, []string{"operation", "outcome"})
	m.gqlDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "dpcma_graphql_request_duration_seconds", Help: "GraphQL request latency (whole HTTP request) by operation name.",
		Buckets: latencyBuckets,
	}, []string{"operation"})
	m.gqlStatements = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "dpcma_graphql_sql_statements", Help: "SQL statements sent through ent per GraphQL request, by operation name.",
		Buckets: []float64{0, 1, 2, 4, 6, 8, 10, 12, 16, 24, 32, 64, 128},
	}, []string{"operation"})
	m.batchSize = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "dpcma_loader_batch_size", Help: "Keys per loader batch (one SQL statement each), by loader.",
		Buckets: []float64{1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000},
	}, []string{"loader"})
	m.reg.MustRegister(m.httpRequests, m.httpDuration, m.gqlRequests, m.gqlDuration, m.gqlStatements, m.batchSize,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if opts.DB != nil {
		m.reg.MustRegister(collectors.NewDBStatsCollector(opts.DB, "dpcma"))
	}
	if opts.Cache != nil {
		m.reg.MustRegister(cacheCollector(opts.Cache))
	}
	return m
}

// Handler serves the metrics in Prometheus's text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Registry is where the metrics live (for tests).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// operationLabel bounds the operation label: unnamed is "anonymous", a
// name past the cap (or one no GraphQL document could hold) is "other".
func (m *Metrics) operationLabel(name string) string {
	if name == "" {
		return "anonymous"
	}
	m.namesMu.RLock()
	_, ok := m.names[name]
	m.namesMu.RUnlock()
	if ok {
		return name
	}
	if !graphQLName(name) {
		return "other"
	}
	m.namesMu.Lock()
	defer m.namesMu.Unlock()
	if _, ok := m.names[name]; ok {
		return name
	}
	if len(m.names) >= MaxOperations {
		return "other"
	}
	m.names[name] = struct{}{}
	return name
}

func graphQLName(s string) bool {
	if len(s) > 100 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9' {
			continue
		}
		return false
	}
	return true
}

var (
	cacheHits          = prometheus.NewDesc("dpcma_response_cache_hits_total", "Queries answered from the response cache.", nil, nil)
	cacheMisses        = prometheus.NewDesc("dpcma_response_cache_misses_total", "Cacheable queries that had to be computed.", nil, nil)
	cacheEvictions     = prometheus.NewDesc("dpcma_response_cache_evictions_total", "Entries dropped to make room (least recently used first).", nil, nil)
	cacheInvalidations = prometheus.NewDesc("dpcma_response_cache_invalidations_total", "Entries dropped because the data revision moved on.", nil, nil)
	cacheEntries       = prometheus.NewDesc("dpcma_response_cache_entries", "Entries in the response cache.", nil, nil)
	cacheBytes         = prometheus.NewDesc("dpcma_response_cache_bytes", "Bytes of response data in the cache.", nil, nil)
)

// cacheCollector reads the cache's own counters at scrape time, so the
// cache's path costs no more than its atomic adds.
type cacheCollector func() CacheStats

func (c cacheCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{cacheHits, cacheMisses, cacheEvictions, cacheInvalidations, cacheEntries, cacheBytes} {
		ch <- d
	}
}

func (c cacheCollector) Collect(ch chan<- prometheus.Metric) {
	s := c()
	ch <- prometheus.MustNewConstMetric(cacheHits, prometheus.CounterValue, float64(s.Hits))
	ch <- prometheus.MustNewConstMetric(cacheMisses, prometheus.CounterValue, float64(s.Misses))
	ch <- prometheus.MustNewConstMetric(cacheEvictions, prometheus.CounterValue, float64(s.Evictions))
	ch <- prometheus.MustNewConstMetric(cacheInvalidations, prometheus.CounterValue, float64(s.Invalidations))
	ch <- prometheus.MustNewConstMetric(cacheEntries, prometheus.GaugeValue, float64(s.Entries))
	ch <- prometheus.MustNewConstMetric(cacheBytes, prometheus.GaugeValue, float64(s.Bytes))
}
