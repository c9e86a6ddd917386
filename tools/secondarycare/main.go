// Command secondarycare serves a Federation v2 subgraph of NHS acute
// trusts and their Digital Maturity Assessment, which extends dpcma's
// Organisation with secondaryCare for STPs, regions and England; a gateway
// joins it to dpcma (docs/federation.md). The trusts and their STPs are
// real, the scores synthetic unless --scores names a file of real ones.
//
//	go run ./tools/secondarycare --addr 127.0.0.1:8090
package main

//go:generate go tool gqlgen generate --config gqlgen.yml

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"dpcma/tools/secondarycare/dma"
	"dpcma/tools/secondarycare/graph"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8090", "listen address (port 0: one the system picks, logged when ready)")
	scores := flag.String("scores", "", "CSV of real DMA returns to serve instead of the synthetic scores (docs/federation.md)")
	flag.Parse()
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	if err := run(log, *addr, *scores); err != nil {
		log.Error("secondarycare stopped", "error", err.Error())
		os.Exit(1)
	}
}

func run(log *slog.Logger, addr, scoresFile string) error {
	data, err := dma.Load()
	if err != nil {
		return err
	}
	if scoresFile != "" {
		if data, err = withScores(data, scoresFile); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux(data), ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	// Launchers wait for this line and read the address from it.
	log.Info("secondarycare ready", "url", fmt.Sprintf("http://%s/", ln.Addr()), "trusts", len(data.Trusts))
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// mux routes /query to the subgraph and answers /healthz and /readyz
// (the data is in memory, so ready once serving).
func mux(data *dma.Data) http.Handler {
	m := http.NewServeMux()
	m.Handle("/query", graph.NewHandler(data))
	ok := func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	}
	m.HandleFunc("GET /healthz", ok)
	m.HandleFunc("GET /readyz", ok)
	return m
}

// withScores returns data with the returns of a scores file in place of
// the synthetic ones.
func withScores(data *dma.Data, path string) (*dma.Data, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	d, err := data.WithScores(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return d, nil
}
