package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// sampleRSS reads the process's VmRSS each second until stop.
func sampleRSS(pid int, stop <-chan struct{}) []rssSample {
	var out []rssSample
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		if kib, err := vmRSS(pid); err == nil {
			out = append(out, rssSample{at: time.Now(), kib: kib})
		}
		select {
		case <-stop:
			return out
		case <-tick.C:
		}
	}
}

// vmRSS is the process's resident set in KiB.
func vmRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("no VmRSS for pid %d", pid)
}

// listenerPID finds the process listening on the TCP port: the socket's
// inode from /proc/net/tcp{,6}, then the process holding it among
// /proc/*/fd (only processes this user may read).
func listenerPID(port string) (int, error) {
	p, err := strconv.Atoi(port)
	if err != nil {
		return 0, err
	}
	inodes := map[string]bool{}
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		data, err := os.ReadFile(table)
		if err != nil {
			continue
		}
		for ino := range listeningInodes(string(data), p) {
			inodes[ino] = true
		}
	}
	if len(inodes) == 0 {
		return 0, fmt.Errorf("nothing listens on port %d", p)
	}
	fds, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	for _, fd := range fds {
		link, err := os.Readlink(fd)
		if err != nil || !strings.HasPrefix(link, "socket:[") {
			continue
		}
		if inodes[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] {
			return strconv.Atoi(strings.Split(fd, "/")[2])
		}
	}
	return 0, fmt.Errorf("no readable process holds the socket on port %d", p)
}

// listeningInodes parses a /proc/net/tcp table: the inodes of sockets
// in state LISTEN (0A) on the port.
func listeningInodes(table string, port int) map[string]bool {
	out := map[string]bool{}
	for _, line := range strings.Split(table, "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 10 || f[3] != "0A" {
			continue
		}
		_, hexPort, ok := strings.Cut(f[1], ":")
		if n, err := strconv.ParseUint(hexPort, 16, 16); ok && err == nil && int(n) == port {
			out[f[9]] = true
		}
	}
	return out
}
