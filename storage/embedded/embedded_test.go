package embedded_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/storage"
	"github.com/sangkien/sangkien/storage/embedded"
)

// The append-only file under the writes storage.Store makes (scripts,
// pipelines, transactions, expiries): what a crash leaves, what damage is
// refused, compaction, the lock on the directory.

var ctx = context.Background()

// openServer opens dir, closing it when the test ends.
func openServer(t testing.TB, dir string, log *slog.Logger) *embedded.Server {
	t.Helper()
	e, err := embedded.Open(dir, log)
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
			e := openServer(t, dir, nil)
			s := storage.New(e.Client())
			for _, p := range []string{"a", "b"} {
				if err := s.SaveSession(ctx, &bot.Session{Person: p, Lang: "en"}, nil); err != nil {
					t.Fatal(err)
				}
			}
			e.Close()
			tc.tear(t, filepath.Join(dir, embedded.AOFName))

			var logs logBuffer
			e = openServer(t, dir, slog.New(slog.NewTextHandler(&logs, nil)))
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
			e = openServer(t, dir, nil)
			if _, lang, _ := storage.New(e.Client()).Contact(ctx, "c"); lang != "vi" {
				t.Errorf("write after the repair lost")
			}
		})
	}
}

func TestEmbeddedRefusesDamageBeforeTheEnd(t *testing.T) {
	dir := t.TempDir()
	e := openServer(t, dir, nil)
	s := storage.New(e.Client())
	for _, p := range []string{"a", "b", "c"} {
		if err := s.SaveSession(ctx, &bot.Session{Person: p, Lang: "en"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	e.Close()
	path := filepath.Join(dir, embedded.AOFName)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[lastRecordStart(t, path)-3] ^= 0xff // inside the record before the last
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if e, err := embedded.Open(dir, nil); err == nil {
		e.Close()
		t.Fatal("opened a file damaged before its last record")
	}
}

func TestEmbeddedCompaction(t *testing.T) {
	dir := t.TempDir()
	e := openServer(t, dir, nil)
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
	path := filepath.Join(dir, embedded.AOFName)
	before := fileSize(t, path)

	for _, round := range []string{"replayed", "compacted"} {
		e = openServer(t, dir, nil)
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
		// A test may look at every key: the claim is the one key on "telegram:1".
		seen := rdb.Keys(ctx, "*:seen:telegram:1").Val()[0]
		if ttl := rdb.PTTL(ctx, seen).Val(); ttl <= 47*time.Hour || ttl > 48*time.Hour {
			t.Errorf("%s: TTL of the dedupe claim = %v, want about 48h", round, ttl)
		}
		if _, lang, _ := s.Contact(ctx, "a"); lang != "en" {
			t.Errorf("%s: session lost", round)
		}
		e.Close()
	}
	time.Sleep(time.Until(set.Add(short + 100*time.Millisecond)))
	e = openServer(t, dir, nil)
	if n := e.Client().Exists(ctx, "short").Val(); n != 0 {
		t.Errorf("a key outlived its TTL across restarts")
	}
}

func TestEmbeddedLocksItsDirectory(t *testing.T) {
	dir := t.TempDir()
	e := openServer(t, dir, nil)
	if other, err := embedded.Open(dir, nil); err == nil {
		other.Close()
		t.Fatal("a second open of one directory succeeded")
	}
	e.Close()
	again := openServer(t, dir, nil)
	again.Close()
}

func TestEmbeddedRefusesWritesAfterClose(t *testing.T) {
	e := openServer(t, t.TempDir(), nil)
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
