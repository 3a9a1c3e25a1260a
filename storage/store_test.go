package storage_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/internal/redistest"
	"github.com/sangkien/sangkien/storage"
)

func TestMain(m *testing.M) { redistest.Main(m) }

func TestRedis(t *testing.T) {
	t.Logf("redis: %s", redistest.Kind())
	runSuite(t, func(t testing.TB, clock bot.Clock) *storage.Store {
		return storage.New(redistest.Client(t), storage.WithClock(clock))
	})
}

// TestCluster runs the suite on Redis Cluster, which refuses any script or
// transaction whose keys lie in different slots.
func TestCluster(t *testing.T) {
	cluster := redistest.Cluster(t).(*redis.ClusterClient)
	runSuite(t, func(t testing.TB, clock bot.Clock) *storage.Store {
		err := cluster.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
			return c.FlushDB(ctx).Err()
		})
		if err != nil {
			t.Fatal(err)
		}
		return storage.New(cluster, storage.WithClock(clock))
	})
}

func TestPrefix(t *testing.T) {
	rdb := redistest.Client(t)
	a := storage.New(rdb, storage.WithPrefix("a"))
	b := storage.New(rdb, storage.WithPrefix("b"))
	p := proposal("TNMT-2026-001", "x", t0)
	commit(t, a, step(p, bot.Submit, bot.Submitted, t0))
	got := must[[]*bot.Proposal](t)(b.Proposals(ctx, []string{p.ID}))
	if got[0] != nil {
		t.Errorf("store with prefix b sees the record of prefix a")
	}
	keys := must[[]string](t)(rdb.Keys(ctx, "*").Result()) // a test may look at every key
	for _, k := range keys {
		if k[:2] != "a:" {
			t.Errorf("key %q outside prefix a", k)
		}
	}
}

// benchStores are the stores the benchmarks compare: the test Redis and
// the embedded store (whose writes wait for fsync).
var benchStores = []struct {
	name string
	open func(b *testing.B) *storage.Store
}{
	{"redis", func(b *testing.B) *storage.Store { return storage.New(redistest.Client(b)) }},
	{"embedded", func(b *testing.B) *storage.Store {
		return storage.New(openEmbedded(b, b.TempDir()).Client())
	}},
}

func BenchmarkCommit(b *testing.B) {
	for _, bs := range benchStores {
		b.Run(bs.name, func(b *testing.B) {
			s := bs.open(b)
			p := proposal("TNMT-2026-001", "a", t0)
			commit(b, s, step(p, bot.Submit, bot.Submitted, t0))
			commit(b, s, step(p, bot.ApprovePilot, bot.Piloting, t0))
			b.ResetTimer()
			for i := range b.N {
				at := t0.Add(time.Duration(i) * time.Minute)
				c := step(p, bot.Report, bot.Piloting, at, msg(fmt.Sprint("m", i), "telegram:1"))
				c.Due = map[string]time.Time{bot.DueReport: at.Add(14 * 24 * time.Hour)}
				commit(b, s, c)
			}
		})
	}
}

func BenchmarkLoad(b *testing.B) {
	for _, bs := range benchStores {
		b.Run(bs.name, func(b *testing.B) {
			s := bs.open(b)
			var ids []string
			for i := range 3 {
				p := proposal(fmt.Sprintf("TNMT-2026-%03d", i+1), "a", t0)
				commit(b, s, step(p, bot.Submit, bot.Submitted, t0))
				ids = append(ids, p.ID)
			}
			sess := &bot.Session{Person: "a", Lang: "vi", Last: "telegram:1", Dialog: &bot.Dialog{Kind: "propose"}}
			if err := s.SaveSession(ctx, sess, nil); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := range b.N {
				req := bot.LoadRequest{Dedupe: fmt.Sprint("telegram:", i), Person: "a", Proposals: ids}
				if _, err := s.Load(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
