package main

import (
	"os"
	"strconv"
	"syscall"
	"unsafe"
)

// fsizeEnv gives a child process (see TestMain) a limit on the size of
// the files it writes, set before it opens anything.
const fsizeEnv = "DPCMA_TEST_FSIZE"

// limitFileSize applies fsizeEnv to this process.
func limitFileSize() error {
	v := os.Getenv(fsizeEnv)
	if v == "" {
		return nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return err
	}
	return setFileSizeLimit(0, n)
}

// setFileSizeLimit sets the soft RLIMIT_FSIZE of process pid (0: this
// one), keeping the hard limit, so that no privilege is needed to raise it
// again. Past the limit a write fails with EFBIG, as it does with ENOSPC
// on a full disk; Go ignores the SIGXFSZ that comes with it.
func setFileSizeLimit(pid int, limit uint64) error {
	var old syscall.Rlimit
	if err := prlimit(pid, nil, &old); err != nil {
		return err
	}
	return prlimit(pid, &syscall.Rlimit{Cur: min(limit, old.Max), Max: old.Max}, nil)
}

func prlimit(pid int, set, old *syscall.Rlimit) error {
	_, _, errno := syscall.RawSyscall6(syscall.SYS_PRLIMIT64, uintptr(pid), syscall.RLIMIT_FSIZE,
		uintptr(unsafe.Pointer(set)), uintptr(unsafe.Pointer(old)), 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}
