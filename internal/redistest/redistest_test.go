package redistest_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/sangkien/sangkien/internal/redistest"
)

func TestMain(m *testing.M) { redistest.Main(m) }

func TestClient(t *testing.T) {
	ctx := context.Background()
	t.Logf("kind %s at %s", redistest.Kind(), redistest.URL())
	want := redistest.KindServer
	switch {
	case os.Getenv(redistest.EnvURL) != "":
		want = redistest.KindURL
	case redistest.Kind() == redistest.KindEmbedded:
		want = redistest.KindEmbedded // no redis-server on PATH
	}
	if got := redistest.Kind(); got != want {
		t.Errorf("kind = %q, want %q", got, want)
	}

	t.Run("a client answers and can write", func(t *testing.T) {
		c := redistest.Client(t)
		if err := c.Set(ctx, "left", "behind", 0).Err(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("the next client starts from an empty database", func(t *testing.T) {
		c := redistest.Client(t)
		if n := c.Keys(ctx, "*").Val(); len(n) != 0 {
			t.Errorf("database has keys %v, want none", n)
		}
	})
	t.Run("keys by pattern are found wherever they live", func(t *testing.T) {
		c := redistest.Client(t)
		for i := range 32 { // 32 hash tags: on a cluster, on every master
			if err := c.Set(ctx, fmt.Sprintf("k:{%d}", i), i, 0).Err(); err != nil {
				t.Fatal(err)
			}
		}
		if keys := c.Keys(ctx, "k:*").Val(); len(keys) != 32 {
			t.Errorf("KEYS k:* found %d keys, want 32", len(keys))
		}
		other := redistest.NewClient(t) // a second replica's client sees them too
		for _, k := range []string{"k:{0}", "k:{31}"} {
			if n := other.Exists(ctx, k).Val(); n != 1 {
				t.Errorf("another client does not see %s", k)
			}
		}
	})
}
