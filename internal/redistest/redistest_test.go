package redistest_test

import (
	"context"
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
		if n := c.DBSize(ctx).Val(); n != 0 {
			t.Errorf("database has %d keys, want 0", n)
		}
	})
}
