package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"dpcma/tools/secondarycare/dma"
)

func TestReadyAndQuery(t *testing.T) {
	data, err := dma.Load()
	if err != nil {
		t.Fatal(err)
	}
	s := httptest.NewServer(mux(data))
	defer s.Close()
	res, err := http.Get(s.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("/readyz: %d", res.StatusCode)
	}
	res, err = http.Post(s.URL+"/query", "application/json", strings.NewReader(`{"query":"{ trusts { odsCode } }"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("/query: %d", res.StatusCode)
	}
}
