package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/internal/redistest"
	"github.com/sangkien/sangkien/storage"
)

// The Zalo token pair: seeded only into an empty store, rotated only over
// the refresh token presented, and a refused one replaced only by another.
func TestTokenPair(t *testing.T) {
	ctx := context.Background()
	for _, kind := range []string{"redis", "embedded"} {
		t.Run(kind, func(t *testing.T) {
			s := storage.New(redistest.Client(t))
			if kind == "embedded" {
				s = storage.New(openEmbedded(t, t.TempDir()).Client())
			}
			const name = "zalo:1"
			if _, refresh, _, _, err := s.Tokens(ctx, name); err != nil || refresh != "" {
				t.Fatalf("empty store: refresh %q, %v", refresh, err)
			}
			if ok, err := s.SeedTokens(ctx, name, "r0"); err != nil || !ok {
				t.Fatalf("seed into an empty store: %v %v", ok, err)
			}
			if ok, _ := s.SeedTokens(ctx, name, "r-env"); ok {
				t.Fatal("a second seed replaced the stored refresh token")
			}
			end := time.UnixMilli(time.Now().Add(25 * time.Hour).UnixMilli())
			if ok, err := s.RotateTokens(ctx, name, "r0", "a1", "r1", end); err != nil || !ok {
				t.Fatalf("rotate over the stored token: %v %v", ok, err)
			}
			if ok, _ := s.RotateTokens(ctx, name, "r0", "a-late", "r-late", end); ok {
				t.Fatal("a rotation over a spent refresh token was stored")
			}
			access, refresh, expires, refused, err := s.Tokens(ctx, name)
			if err != nil || access != "a1" || refresh != "r1" || !expires.Equal(end) || refused != "" {
				t.Fatalf("stored pair: %q %q %v %q %v", access, refresh, expires, refused, err)
			}
			if ok, _ := s.ReseedTokens(ctx, name, "r-new"); ok {
				t.Fatal("a reseed replaced a refresh token that was not refused")
			}
			if err := s.RefuseTokens(ctx, name, "r1", "-14014 invalid"); err != nil {
				t.Fatal(err)
			}
			if ok, _ := s.ReseedTokens(ctx, name, "r1"); ok {
				t.Fatal("a reseed with the refused token itself was stored")
			}
			if ok, err := s.ReseedTokens(ctx, name, "r-new"); err != nil || !ok {
				t.Fatalf("reseed over a refused token: %v %v", ok, err)
			}
			access, refresh, expires, refused, _ = s.Tokens(ctx, name)
			if access != "" || refresh != "r-new" || !expires.IsZero() || refused != "" {
				t.Fatalf("after the reseed: %q %q %v %q", access, refresh, expires, refused)
			}
		})
	}
}

// Parked messages are found again by any of their addresses, without a
// scan, and made due once.
func TestUnparkTo(t *testing.T) {
	ctx := context.Background()
	s := storage.New(redistest.Client(t))
	now := time.Now().Add(time.Second) // after the enqueue
	var msgs []bot.Message
	for _, to := range [][]string{{"zalo:1"}, {"telegram:5", "zalo:1"}, {"zalo:2"}, {"zalo:1"}} {
		msgs = append(msgs, bot.Message{ID: bot.NewMessageID(), To: to, Text: bot.Text{{Text: "x"}}})
	}
	if err := s.Enqueue(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	envs, err := s.Claim(ctx, now, time.Minute, 10)
	if err != nil || len(envs) != 4 {
		t.Fatalf("claimed %d: %v", len(envs), err)
	}
	for _, e := range envs {
		e.Err = "unreachable"
		if e.To[len(e.To)-1] == "zalo:1" && len(e.To) == 1 && e.ID == msgs[3].ID {
			continue // the last stays in the outbox
		}
		if err := s.Park(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.UnparkTo(ctx, "zalo:1", now)
	if err != nil || n != 2 {
		t.Fatalf("unparked %d for zalo:1, want 2: %v", n, err)
	}
	if n, _ := s.UnparkTo(ctx, "zalo:1", now); n != 0 {
		t.Fatalf("unparked %d the second time", n)
	}
	parked, _ := s.Parked(ctx)
	if len(parked) != 1 || parked[0].ID != msgs[2].ID {
		t.Fatalf("still parked: %v", parked)
	}
	// Unpark by id drops the message from its address's index too.
	if err := s.Unpark(ctx, msgs[2].ID, now); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.UnparkTo(ctx, "zalo:2", now); n != 0 {
		t.Fatalf("unparked %d for zalo:2 after Unpark", n)
	}
	due, err := s.Claim(ctx, now.Add(2*time.Minute), time.Minute, 10)
	if err != nil || len(due) != 4 {
		t.Fatalf("due again: %d, %v", len(due), err)
	}
}
