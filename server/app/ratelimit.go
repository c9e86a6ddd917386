package app

import (
	"fmt"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"dpcma/graph/apperr"
	"dpcma/server/access"

	"golang.org/x/time/rate"
)

// maxClients bounds the buckets kept at once; past it, an arbitrary one is
// dropped (its client starts again with a full bucket).
const maxClients = 1 << 16

// rateLimiter keeps a token bucket per client: per account for requests
// with a token, per address for anonymous ones.
type rateLimiter struct {
	limit      rate.Limit
	burst      int
	trustProxy bool

	mu      sync.Mutex
	clients map[string]*rate.Limiter
	swept   time.Time
	// sweepEvery is the time an empty bucket takes to fill: a bucket
	// left alone that long is full, the same as no bucket at all, so
	// dropping it loses nothing.
	sweepEvery time.Duration
}

func newRateLimiter(perSecond float64, burst int, trustProxy bool) *rateLimiter {
	fill := time.Duration(float64(burst) / perSecond * float64(time.Second))
	return &rateLimiter{limit: rate.Limit(perSecond), burst: burst, trustProxy: trustProxy,
		clients: map[string]*rate.Limiter{}, sweepEvery: max(fill, time.Second)}
}

// limitRate answers 429 with Retry-After to a client over its rate. It
// reads the principal, so it must run after the authentication middleware.
func limitRate(perSecond float64, burst int, trustProxy bool, h http.Handler) http.Handler {
	if perSecond <= 0 {
		return h
	}
	l := newRateLimiter(perSecond, burst, trustProxy)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if wait := l.take(l.key(r), time.Now()); wait > 0 {
			secs := int(math.Ceil(wait.Seconds()))
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			writeJSON(w, http.StatusTooManyRequests, gqlErrors(
				fmt.Sprintf("too many requests: at most %g a second (bursts of %d); try again in %d s", perSecond, burst, secs), apperr.RateLimited))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// take spends one token of key's bucket at now, or returns how long until
// one is available (spending nothing).
func (l *rateLimiter) take(key string, now time.Time) time.Duration {
	l.mu.Lock()
	lim, ok := l.clients[key]
	if !ok {
		if now.Sub(l.swept) >= l.sweepEvery || len(l.clients) >= maxClients {
			l.sweep(now)
		}
		lim = rate.NewLimiter(l.limit, l.burst)
		l.clients[key] = lim
	}
	l.mu.Unlock()
	res := lim.ReserveN(now, 1)
	if wait := res.DelayFrom(now); wait > 0 {
		res.CancelAt(now)
		return wait
	}
	return 0
}

// sweep drops full buckets and, if that is not enough, any bucket, to
// stay under maxClients. l.mu is held.
func (l *rateLimiter) sweep(now time.Time) {
	l.swept = now
	for k, lim := range l.clients {
		if lim.TokensAt(now) >= float64(l.burst) {
			delete(l.clients, k)
		}
	}
	for k := range l.clients {
		if len(l.clients) < maxClients {
			break
		}
		delete(l.clients, k)
	}
}

// key names whose bucket a request spends: the account of its token, or
// else its client address (IPv6 by /64, what one host usually holds).
func (l *rateLimiter) key(r *http.Request) string {
	if p := access.From(r.Context()); p != nil {
		return "account:" + strconv.Itoa(p.AccountID)
	}
	addr := ""
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		addr = host
	}
	if l.trustProxy {
		// The proxy in front appends the address it saw; earlier entries
		// are the client's to invent.
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			all := strings.Split(xff[len(xff)-1], ",")
			if last := strings.TrimSpace(all[len(all)-1]); last != "" {
				addr = last
			}
		}
	}
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return "addr:" + addr
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return "net:" + p.String()
	}
	return "ip:" + ip.String()
}
