package storage_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/storage"
	"github.com/sangkien/sangkien/storage/embedded"
)

// The suite on the embedded store, and its durability as the store uses
// it; the append-only file itself is tested in storage/embedded.

func TestEmbedded(t *testing.T) {
	runSuite(t, func(t testing.TB, clock bot.Clock) *storage.Store {
		e := openEmbedded(t, t.TempDir())
		return storage.New(e.Client(), storage.WithClock(clock))
	})
}

// openEmbedded opens the embedded store in dir, closing it when the test
// ends.
func openEmbedded(t testing.TB, dir string) *embedded.Server {
	e := must[*embedded.Server](t)(embedded.Open(dir, nil))
	t.Cleanup(func() { e.Close() })
	return e
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
	e := openEmbedded(t, dir)
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
		e := openEmbedded(t, dir)
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
