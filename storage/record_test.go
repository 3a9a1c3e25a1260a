package storage

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sangkien/sangkien/bot"
)

func TestRecordRoundTrip(t *testing.T) {
	p, _ := chain(t)
	b, err := encodeRecord(p)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeRecordJSON(b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, got); diff != "" {
		t.Fatalf("decoded record differs (-written +read):\n%s", diff)
	}
	long, _ := json.Marshal(p)
	if saved := len(long) - len(b); saved < 4*13 {
		t.Errorf("the stored record saves %d bytes (%d against %d), want at least 52", saved, len(b), len(long))
	}
}

func TestRecordOfTheFirstLayoutAndFineTimes(t *testing.T) {
	p, _ := chain(t)
	p.LastCheck = time.Date(2026, 3, 2, 9, 0, 0, 1, time.UTC) // finer than a millisecond
	first, _ := json.Marshal(p)                               // how records were first written
	for name, b := range map[string][]byte{"first layout": first, "stored": must(encodeRecord(p))} {
		got, err := decodeRecordJSON(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if diff := cmp.Diff(p, got); diff != "" {
			t.Fatalf("%s: decoded record differs (-written +read):\n%s", name, diff)
		}
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// Records are decoded by the thousand in a supervision run: the stored
// form must not cost more to read than JSON of bot.Proposal.
func BenchmarkDecodeRecord(b *testing.B) {
	p, _ := chain(&testing.T{})
	stored := must(encodeRecord(p))
	plain, _ := json.Marshal(p)
	b.Run("stored", func(b *testing.B) {
		for b.Loop() {
			if _, err := decodeRecordJSON(stored); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("bot.Proposal", func(b *testing.B) {
		for b.Loop() {
			if err := json.Unmarshal(plain, new(bot.Proposal)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
