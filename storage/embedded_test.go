package storage_test

import (
	"bytes"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/storage"
)

func TestEmbedded(t *testing.T) {
	runSuite(t, func(t testing.TB, clock bot.Clock) *storage.Store {
		e := openEmbedded(t, t.TempDir(), nil)
		return storage.New(e.Client(), storage.WithClock(clock))
	})
}

// openEmbedded opens dir, closing it when the test ends.
func openEmbedded(t testing.TB, dir string, log *slog.Logger) *storage.Embedded {
	t.Helper()
	e, err := storage.OpenEmbedded(dir, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// logBuffer collects log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// fill writes one of everything through a store on dir: two proposals
// with history, a session, waiting, claimed and parked messages, a dedupe
// claim. It returns the proposal ids.
func fill(t testing.TB, s *storage.Store) []string {
	t.Helper()
	must[int](t)(s.Reserve(ctx, "TNMT", 2026, "a"))
	must[int](t)(s.Reserve(ctx, "TU", 2026, "a"))
	p := proposal("TNMT-2026-001", "a", t0)
	c := step(p, bot.Submit, bot.Submitted, t0, msg("n1", "person:lead"))
	c.Due = map[string]time.Time{bot.DueReview: t0.Add(time.Hour)}
	commit(t, s, c)
	c = step(p, bot.ApprovePilot, bot.Piloting, t0.Add(time.Hour), msg("n2", "telegram:-1002"))
	c.Due = map[string]time.Time{bot.DueReview: {}, bot.DueReport: t0.Add(300 * time.Hour)}
	commit(t, s, c)
	q := proposal("TU-2026-001", "a", t0.Add(time.Minute))
	commit(t, s, step(q, bot.Submit, bot.Submitted, t0.Add(time.Minute)))
	sess := &bot.Session{Person: "a", Lang: "en", Last: "telegram:100", Dialog: &bot.Dialog{Kind: "report", Target: p.ID}}
	if err := s.SaveSession(ctx, sess, []bot.Message{msg("n3", "telegram:100")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(ctx, bot.LoadRequest{Dedupe: "telegram:77", Person: "a"}); err != nil {
		t.Fatal(err)
	}
	got := must[[]*bot.Envelope](t)(s.Claim(ctx, t0, time.Hour, 1))
	got[0].Err = "gave up"
	if err := s.Park(ctx, got[0]); err != nil {
		t.Fatal(err)
	}
	return []string{p.ID, q.ID}
}

// everything is the state fill leaves, as the store shows it.
type everything struct {
	State    state
	Session  *bot.Session
	Claimed  []*bot.Envelope
	Released bool
}

func look(t testing.TB, s *storage.Store, ids []string) everything {
	t.Helper()
	var ev everything
	ev.State = snapshot(t, s, "TNMT", "a", ids...)
	l := must[*bot.Loaded](t)(s.Load(ctx, bot.LoadRequest{Dedupe: "telegram:77", Person: "a"}))
	ev.Session, ev.Released = l.Session, !l.Duplicate
	// Claim a copy: what is due, without changing what the next look sees.
	ev.Claimed = must[[]*bot.Envelope](t)(s.Claim(ctx, t0.Add(24*time.Hour), 0, 100))
	return ev
}

func TestEmbeddedKeepsDataAcrossReopen(t *testing.T) {
	dir := t.TempDir()
	e := openEmbedded(t, dir, nil)
	s := storage.New(e.Client(), storage.WithClock(&testClock{t: t0}))
	ids := fill(t, s)
	want := look(t, s, ids)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}

	for _, round := range []string{"after a replay", "after a compaction"} {
		e := openEmbedded(t, dir, nil)
		s := storage.New(e.Client(), storage.WithClock(&testClock{t: t0}))
		diff(t, round, want, look(t, s, ids), cmpopts.EquateApproxTime(0))
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if want.Released {
		t.Errorf("the dedupe claim was lost")
	}
}

func TestEmbeddedDropsTornLastRecord(t *testing.T) {
	tests := []struct {
		name string
		// tear damages the file whose last record wrote session "b".
		tear func(t *testing.T, path string)
	}{
		{"last record cut short", func(t *testing.T, path string) {
			truncate(t, path, 7)
		}},
		{"last header cut short", func(t *testing.T, path string) {
			size := fileSize(t, path)
			truncate(t, path, size-lastRecordStart(t, path)-3)
		}},
		{"zeros after a torn record", func(t *testing.T, path string) {
			truncate(t, path, 7)
			appendBytes(t, path, make([]byte, 4096))
		}},
		{"a record ending at the end of the file with a bad checksum", func(t *testing.T, path string) {
			flipLastByte(t, path)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			e := openEmbedded(t, dir, nil)
			s := storage.New(e.Client())
			for _, p := range []string{"a", "b"} {
				if err := s.SaveSession(ctx, &bot.Session{Person: p, Lang: "en"}, nil); err != nil {
					t.Fatal(err)
				}
			}
			e.Close()
			tc.tear(t, storage.AOFPath(e))

			var logs logBuffer
			e = openEmbedded(t, dir, slog.New(slog.NewTextHandler(&logs, nil)))
			s = storage.New(e.Client())
			for p, want := range map[string]string{"a": "en", "b": ""} {
				_, lang, err := s.Contact(ctx, p)
				if err != nil {
					t.Fatal(err)
				}
				if lang != want {
					t.Errorf("language of %s = %q, want %q", p, lang, want)
				}
			}
			if !strings.Contains(logs.String(), "torn") {
				t.Errorf("no log line about the torn record:\n%s", logs.String())
			}
			// The store goes on writing after the damage.
			if err := s.SaveSession(ctx, &bot.Session{Person: "c", Lang: "vi"}, nil); err != nil {
				t.Fatal(err)
			}
			e.Close()
			e = openEmbedded(t, dir, nil)
			if _, lang, _ := storage.New(e.Client()).Contact(ctx, "c"); lang != "vi" {
				t.Errorf("write after the repair lost")
			}
		})
	}
}

func TestEmbeddedRefusesDamageBeforeTheEnd(t *testing.T) {
	dir := t.TempDir()
	e := openEmbedded(t, dir, nil)
	s := storage.New(e.Client())
	for _, p := range []string{"a", "b", "c"} {
		if err := s.SaveSession(ctx, &bot.Session{Person: p, Lang: "en"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	e.Close()
	path := storage.AOFPath(e)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[lastRecordStart(t, path)-3] ^= 0xff // inside the record before the last
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if e, err := storage.OpenEmbedded(dir, nil); err == nil {
		e.Close()
		t.Fatal("opened a file damaged before its last record")
	}
}

func TestEmbeddedCompaction(t *testing.T) {
	dir := t.TempDir()
	e := openEmbedded(t, dir, nil)
	s := storage.New(e.Client())
	for i := range 200 {
		if err := s.SaveSession(ctx, &bot.Session{Person: "a", Lang: "en", Unit: strings.Repeat("u", i)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Load(ctx, bot.LoadRequest{Dedupe: "telegram:1", Person: "a"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveSession(ctx, &bot.Session{Person: "a", Lang: "en", Update: "telegram:1"}, nil); err != nil {
		t.Fatal(err)
	}
	rdb := e.Client()
	const short = 3 * time.Second
	set := time.Now()
	if err := rdb.Set(ctx, "short", "lived", short).Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.Set(ctx, "gone", "soon", 10*time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	e.Close()
	path := storage.AOFPath(e)
	before := fileSize(t, path)

	for _, round := range []string{"replayed", "compacted"} {
		e = openEmbedded(t, dir, nil)
		rdb = e.Client()
		if after := fileSize(t, path); after*4 > before {
			t.Errorf("%s: file of %d bytes compacted to %d", round, before, after)
		}
		if ttl := rdb.PTTL(ctx, "short").Val(); ttl <= 0 || ttl > short-time.Second {
			t.Errorf("%s: TTL of a key given %v %v ago = %v, want at most %v", round, short, time.Since(set), ttl, short-time.Second)
		}
		if n := rdb.Exists(ctx, "gone").Val(); n != 0 {
			t.Errorf("%s: an expired key came back", round)
		}
		s = storage.New(rdb)
		seen := storage.SeenKey(s, "a", "telegram:1")
		if ttl := rdb.PTTL(ctx, seen).Val(); ttl <= 47*time.Hour || ttl > 48*time.Hour {
			t.Errorf("%s: TTL of the dedupe claim = %v, want about 48h", round, ttl)
		}
		if _, lang, _ := s.Contact(ctx, "a"); lang != "en" {
			t.Errorf("%s: session lost", round)
		}
		e.Close()
	}
	time.Sleep(time.Until(set.Add(short + 100*time.Millisecond)))
	e = openEmbedded(t, dir, nil)
	if n := e.Client().Exists(ctx, "short").Val(); n != 0 {
		t.Errorf("a key outlived its TTL across restarts")
	}
}

func TestEmbeddedLocksItsDirectory(t *testing.T) {
	dir := t.TempDir()
	e := openEmbedded(t, dir, nil)
	if other, err := storage.OpenEmbedded(dir, nil); err == nil {
		other.Close()
		t.Fatal("a second open of one directory succeeded")
	}
	e.Close()
	again := openEmbedded(t, dir, nil)
	again.Close()
}

func TestEmbeddedRefusesWritesAfterClose(t *testing.T) {
	e := openEmbedded(t, t.TempDir(), nil)
	c := e.NewClient()
	e.Close()
	if err := c.Set(ctx, "k", "v", 0).Err(); err == nil {
		t.Error("a write after close succeeded")
	}
}

func fileSize(t testing.TB, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// truncate cuts n bytes off the end of path.
func truncate(t testing.TB, path string, n int64) {
	t.Helper()
	if err := os.Truncate(path, fileSize(t, path)-n); err != nil {
		t.Fatal(err)
	}
}

func appendBytes(t testing.TB, path string, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
}

func flipLastByte(t testing.TB, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-3] ^= 0x01
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// lastRecordStart is the offset of the last record of the file, found by
// walking the records' length headers.
func lastRecordStart(t testing.TB, path string) int64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	off := int64(len("sangkien-aof 1\n"))
	last := off
	for off+8 <= int64(len(b)) {
		last = off
		n := int64(b[off])<<24 | int64(b[off+1])<<16 | int64(b[off+2])<<8 | int64(b[off+3])
		off += 8 + n
	}
	return last
}
