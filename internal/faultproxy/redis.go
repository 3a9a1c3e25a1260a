package faultproxy

import (
	"testing"

	"github.com/redis/go-redis/v9"
)

// InFront starts a proxy in front of the Redis server at url (redis://),
// closed when the test ends, and returns it with the server's options and
// options for a client that goes through the proxy.
func InFront(tb testing.TB, url string) (p *Proxy, direct, proxied *redis.Options) {
	tb.Helper()
	direct, err := redis.ParseURL(url)
	if err != nil {
		tb.Fatal(err)
	}
	if p, err = Start(direct.Addr); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { p.Close() })
	o := *direct
	o.Addr = p.Addr()
	return p, direct, &o
}
