package storage_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sangkien/sangkien/internal/redistest"
	"github.com/sangkien/sangkien/storage"
)

// A sign-in link is taken once: of two requests racing with it, one gets
// its value and the other nothing; the secret itself is never a key.
func TestWebLoginTakenOnce(t *testing.T) {
	ctx := context.Background()
	rdb := redistest.Client(t)
	s := storage.New(rdb)
	const token = "secret-token-abc"
	if err := s.PutWebLogin(ctx, token, []byte(`{"person":"an"}`), time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.PutWebLogin(ctx, token, []byte(`{}`), time.Minute); err == nil {
		t.Fatal("a token stored twice was accepted")
	}
	keys, err := rdb.Keys(ctx, "*").Result() // test only: see what is stored
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if strings.Contains(k, token) {
			t.Fatalf("key %q holds the token itself", k)
		}
	}
	var wg sync.WaitGroup
	got := make([][]byte, 8)
	for i := range got {
		wg.Go(func() {
			b, err := s.TakeWebLogin(ctx, token)
			if err != nil {
				t.Error(err)
			}
			got[i] = b
		})
	}
	wg.Wait()
	n := 0
	for _, b := range got {
		if b != nil {
			n++
			if string(b) != `{"person":"an"}` {
				t.Errorf("value = %s", b)
			}
		}
	}
	if n != 1 {
		t.Fatalf("%d requests took the link, want 1", n)
	}
	if b := must[[]byte](t)(s.TakeWebLogin(ctx, "forged")); b != nil {
		t.Fatalf("forged token gave %s", b)
	}
}

func TestWebSession(t *testing.T) {
	ctx := context.Background()
	s := storage.New(redistest.Client(t))
	if b := must[[]byte](t)(s.WebSession(ctx, "sid")); b != nil {
		t.Fatalf("no session gave %s", b)
	}
	if err := s.PutWebSession(ctx, "sid", []byte("v"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if b := must[[]byte](t)(s.WebSession(ctx, "sid")); string(b) != "v" {
		t.Fatalf("session = %q", b)
	}
	if b := must[[]byte](t)(s.WebSession(ctx, "sid")); string(b) != "v" {
		t.Fatalf("session read twice = %q (reads do not consume)", b)
	}
	if err := s.DropWebSession(ctx, "sid"); err != nil {
		t.Fatal(err)
	}
	if b := must[[]byte](t)(s.WebSession(ctx, "sid")); b != nil {
		t.Fatalf("dropped session gave %s", b)
	}
}
