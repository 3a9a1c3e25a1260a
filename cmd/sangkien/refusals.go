package main

import (
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// refusalLog logs the requests the webhooks refuse (401, 403: a bad
// signature or secret) at most once a minute per source, with the count
// of those not logged since, so that a flood of forged requests does not
// flood the log. It remembers at most refusalSources sources; beyond
// that, refusals from new sources go unlogged until old ones expire.
type refusalLog struct {
	log *slog.Logger
	now func() time.Time

	mu   sync.Mutex
	seen map[string]*refusalSource
}

type refusalSource struct {
	logged     time.Time
	suppressed int
}

const (
	refusalEvery   = time.Minute
	refusalSources = 1024
)

func newRefusalLog(log *slog.Logger, now func() time.Time) *refusalLog {
	return &refusalLog{log: log, now: now, seen: map[string]*refusalSource{}}
}

// wrap logs h's refusals.
func (l *refusalLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		if sw.status == http.StatusUnauthorized || sw.status == http.StatusForbidden {
			l.refused(r, sw.status, strings.TrimSpace(sw.reason.String()))
		}
	})
}

// refused logs one refusal unless its source was logged within the minute.
func (l *refusalLog) refused(r *http.Request, status int, reason string) {
	source, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		source = r.RemoteAddr
	}
	now := l.now()
	l.mu.Lock()
	s := l.seen[source]
	if s != nil && now.Sub(s.logged) < refusalEvery {
		s.suppressed++
		l.mu.Unlock()
		return
	}
	if s == nil {
		if len(l.seen) >= refusalSources {
			for k, v := range l.seen {
				if now.Sub(v.logged) >= refusalEvery {
					delete(l.seen, k)
				}
			}
		}
		if len(l.seen) >= refusalSources {
			l.mu.Unlock()
			return
		}
		s = &refusalSource{}
		l.seen[source] = s
	}
	suppressed := s.suppressed
	s.logged, s.suppressed = now, 0
	l.mu.Unlock()
	l.log.Info("refused a request", "source", source, "path", r.URL.Path, "status", status, "reason", reason, "not_logged_since", suppressed)
}

// statusWriter keeps the status of an answer and, for a refusal, the
// start of its text (the reason the adapter gave).
type statusWriter struct {
	http.ResponseWriter
	status int
	reason strings.Builder
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if (w.status == http.StatusUnauthorized || w.status == http.StatusForbidden) && w.reason.Len() < 100 {
		w.reason.Write(p[:min(len(p), 100-w.reason.Len())])
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
