package redistest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// Server is a redis-server of a test's own, with an append-only file
// (appendfsync always), that the test may stop and start again on the same
// port and data to inject a Redis outage.
type Server struct {
	tb   testing.TB
	bin  string
	dir  string
	port int
	URL  string
	cmd  *exec.Cmd
	done chan struct{}
}

// StartServer starts a Server; the test is skipped when redis-server is
// not on PATH. It is stopped when the test ends.
func StartServer(tb testing.TB) *Server {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		tb.Skip("redis-server not on PATH: this test needs a real server to stop and start")
	}
	port, err := freePort()
	if err != nil {
		tb.Fatal(err)
	}
	s := &Server{tb: tb, bin: bin, dir: tb.TempDir(), port: port, URL: "redis://127.0.0.1:" + strconv.Itoa(port) + "/0"}
	s.Start()
	tb.Cleanup(s.Stop)
	return s
}

// Start starts the server (again) on its port and data.
func (s *Server) Start() {
	s.tb.Helper()
	if s.cmd != nil {
		return
	}
	cmd := exec.Command(s.bin, "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1", "--save", "",
		"--appendonly", "yes", "--appendfsync", "always", "--dir", s.dir)
	logf, err := os.OpenFile(filepath.Join(s.dir, "redis.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		s.tb.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	dieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		s.tb.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); logf.Close(); close(done) }()
	if !waitReady(s.URL, done) {
		s.tb.Fatalf("redis-server on port %d did not start", s.port)
	}
	s.cmd, s.done = cmd, done
}

// Stop kills the server, as a crash would.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Kill()
	<-s.done
	s.cmd = nil
}
