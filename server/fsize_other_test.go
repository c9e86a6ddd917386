//go:build !linux

package main

// limitFileSize does nothing where the full-disk test does not run.
func limitFileSize() error { return nil }
