package storage

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sangkien/sangkien/bot"
)

// chain builds a real history through the lifecycle: submit, approve,
// three reports, an obstacle.
func chain(t *testing.T) (*bot.Proposal, []bot.Event) {
	t.Helper()
	at := time.Date(2026, 3, 2, 8, 30, 0, 123456789, time.FixedZone("ICT", 7*3600))
	steps := []struct {
		a    bot.Action
		data map[string]string
	}{
		{bot.Submit, map[string]string{"unit": "so-tnmt", "proposer": "an", "title": "Đăng ký đất đai trực tuyến", "attest_constitution": "yes", "attest_no_interest": "yes"}},
		{bot.ApprovePilot, map[string]string{"end": "2026-09-01", "cadence": "336h0m0s"}},
		{bot.Report, map[string]string{"text": "40 hồ sơ"}},
		{bot.Report, nil},
		{bot.Report, map[string]string{"text": "<b>&amp;</b>"}},
		{bot.RaiseObstacle, map[string]string{"text": "Thiếu máy quét"}},
	}
	var p *bot.Proposal
	var evs []bot.Event
	for i, s := range steps {
		next, ev, err := bot.Step(p, "TNMT-2026-001", s.a, "telegram:100", at.Add(time.Duration(i)*time.Hour), s.data)
		if err != nil {
			t.Fatalf("step %d %s: %v", i+1, s.a, err)
		}
		p, evs = next, append(evs, ev)
	}
	return p, evs
}

// encodeAll encodes evs as Commit would, each out of the status before it.
func encodeAll(t *testing.T, evs []bot.Event) []string {
	t.Helper()
	out := make([]string, len(evs))
	from := bot.Draft
	for i, ev := range evs {
		b, err := encodeEvent(ev, from)
		if err != nil {
			t.Fatal(err)
		}
		out[i], from = string(b), ev.To
	}
	return out
}

func TestEventsRoundTrip(t *testing.T) {
	p, evs := chain(t)
	raw := encodeAll(t, evs)
	got, err := decodeEvents(raw)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(evs, got); diff != "" {
		t.Fatalf("decoded events differ (-written +read):\n%s", diff)
	}
	if b := bot.Verify(p.ID, p, got); b != nil {
		t.Fatalf("the decoded history does not verify: %v", b)
	}
	// The short form is what saves the memory: measure it against JSON of
	// bot.Event, which the first layout stored.
	var short, long int
	for i, ev := range evs {
		b, _ := json.Marshal(ev)
		long += len(b)
		short += len(raw[i])
	}
	if saved := (long - short) / len(evs); saved < 80 {
		t.Errorf("the short form saves %d bytes an event (%d against %d), want at least 80", saved, short, long)
	}
}

func TestEventsOfEveryLayoutReadTogether(t *testing.T) {
	p, evs := chain(t)
	raw := encodeAll(t, evs)
	// Event 1 as first written (JSON of bot.Event with its prev_hash),
	// event 2 without its prev_hash (the second layout), the rest short.
	b, _ := json.Marshal(evs[0])
	raw[0] = string(b)
	second := evs[1]
	second.PrevHash = ""
	b, _ = json.Marshal(second)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	delete(m, "prev_hash")
	b, _ = json.Marshal(m)
	raw[1] = string(b)
	got, err := decodeEvents(raw)
	if err != nil {
		t.Fatal(err)
	}
	// The first layouts kept the time's zone as written; the chain hashes
	// it in UTC, so compare instants.
	if diff := cmp.Diff(evs, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Fatalf("decoded events differ (-written +read):\n%s", diff)
	}
	if b := bot.Verify(p.ID, p, got); b != nil {
		t.Fatalf("a history of mixed layouts does not verify: %v", b)
	}
}

func TestEventsKeepWhatThePlaceDoesNotImply(t *testing.T) {
	// Not the engine's events: a time finer than a millisecond, a from
	// that is not the status before, no data. The store keeps any event
	// exactly; verify judges it.
	ev := bot.Event{Seq: 7, At: time.Date(2026, 3, 2, 1, 2, 3, 456789, time.UTC), Actor: "slack:U1", Action: bot.Report,
		From: bot.Piloting, To: bot.Piloting, Data: map[string]string{}, PrevHash: "", Hash: bot.HashEvent(bot.Event{Seq: 7})}
	b, err := encodeEvent(ev, bot.Submitted)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeEvents([]string{string(b)})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]bot.Event{ev}, got); diff != "" {
		t.Fatalf("decoded event differs (-written +read):\n%s", diff)
	}
	if _, err := encodeEvent(bot.Event{Hash: "not-a-hash"}, bot.Draft); err == nil {
		t.Fatal("an event whose hash is not a SHA-256 was encoded")
	}
	if _, err := decodeEvents([]string{`{"s":1,"h":"!!"}`}); err == nil {
		t.Fatal("a stored hash that is not base64url was decoded")
	}
}
