package redisurl_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sangkien/sangkien/internal/redisurl"
)

func TestParse(t *testing.T) {
	type want struct {
		kind     string
		addrs    []string
		db       int
		user     string
		password string
		master   string
		tls      bool
	}
	tests := []struct {
		name string
		url  string
		want want
	}{
		{"a single server with a database", "redis://127.0.0.1:6379/2",
			want{kind: redisurl.Single, addrs: []string{"127.0.0.1:6379"}, db: 2}},
		{"a single server with a password and TLS", "rediss://:s3cret@redis.example:6380/0",
			want{kind: redisurl.Single, addrs: []string{"redis.example:6380"}, password: "s3cret", tls: true}},
		{"a cluster by scheme", "redis+cluster://10.0.0.1:7000,10.0.0.2:7000,10.0.0.3:7000",
			want{kind: redisurl.Cluster, addrs: []string{"10.0.0.1:7000", "10.0.0.2:7000", "10.0.0.3:7000"}}},
		{"a cluster by option, with a password", "redis://app:pw@10.0.0.1:7000,10.0.0.2:7000?cluster=true",
			want{kind: redisurl.Cluster, addrs: []string{"10.0.0.1:7000", "10.0.0.2:7000"}, user: "app", password: "pw"}},
		{"a cluster of one seed", "redis+cluster://10.0.0.1:7000/0",
			want{kind: redisurl.Cluster, addrs: []string{"10.0.0.1:7000"}}},
		{"a cluster over TLS", "rediss+cluster://10.0.0.1:7000",
			want{kind: redisurl.Cluster, addrs: []string{"10.0.0.1:7000"}, tls: true}},
		{"sentinels, a master and a database", "redis+sentinel://:pw@10.0.0.1:26379,10.0.0.2:26379/mymaster/3",
			want{kind: redisurl.Sentinel, addrs: []string{"10.0.0.1:26379", "10.0.0.2:26379"}, db: 3, password: "pw", master: "mymaster"}},
		{"sentinels and a master, database 0", "redis+sentinel://10.0.0.1:26379/mymaster",
			want{kind: redisurl.Sentinel, addrs: []string{"10.0.0.1:26379"}, master: "mymaster"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := redisurl.Parse(tc.url)
			if err != nil {
				t.Fatal(err)
			}
			got := want{kind: c.Kind, addrs: c.Addrs()}
			switch c.Kind {
			case redisurl.Single:
				got.db, got.user, got.password, got.tls = c.Single.DB, c.Single.Username, c.Single.Password, c.Single.TLSConfig != nil
			case redisurl.Cluster:
				got.user, got.password, got.tls = c.Cluster.Username, c.Cluster.Password, c.Cluster.TLSConfig != nil
			case redisurl.Sentinel:
				got.db, got.user, got.password, got.tls = c.Sentinel.DB, c.Sentinel.Username, c.Sentinel.Password, c.Sentinel.TLSConfig != nil
				got.master = c.Sentinel.MasterName
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("Parse(%q) (-want +got):\n%s", tc.url, diff)
			}
		})
	}
}

func TestParseOptions(t *testing.T) {
	c, err := redisurl.Parse("redis+cluster://h1:7000,h2:7000?dial_timeout=3s&pool_size=7")
	if err != nil {
		t.Fatal(err)
	}
	if c.Cluster.DialTimeout != 3*time.Second || c.Cluster.PoolSize != 7 {
		t.Errorf("dial_timeout %v, pool_size %d; want 3s, 7", c.Cluster.DialTimeout, c.Cluster.PoolSize)
	}
	s, err := redisurl.Parse("redis+sentinel://h1:26379/mymaster?sentinel_password=spw&read_timeout=2s")
	if err != nil {
		t.Fatal(err)
	}
	if s.Sentinel.SentinelPassword != "spw" || s.Sentinel.ReadTimeout != 2*time.Second {
		t.Errorf("sentinel password %q, read_timeout %v; want spw, 2s", s.Sentinel.SentinelPassword, s.Sentinel.ReadTimeout)
	}
}

func TestParseRefuses(t *testing.T) {
	for _, u := range []string{
		"http://127.0.0.1:6379",
		"redis://h1:6379,h2:6379/0",          // several hosts, no kind
		"redis+cluster://h1:7000/3",          // a cluster has database 0 only
		"redis+sentinel://h1:26379",          // no master
		"redis+sentinel://h1:26379/m/x",      // database not a number
		"redis+sentinel://h1:26379/m/0/more", // too much path
		"redis://h1:6379?cluster=maybe",
		"redis+cluster://h1:7000,,h2:7000",
		"redis+cluster://h1:7000?no_such_option=1",
		"redis+mystery://h1:6379",
	} {
		if c, err := redisurl.Parse(u); err == nil {
			t.Errorf("Parse(%q) = %s, want an error", u, c.Kind)
		}
	}
}

func TestParseErrorHidesPassword(t *testing.T) {
	_, err := redisurl.Parse("redis://user:hunter2@h1:6379/x")
	if err == nil {
		t.Fatal("want an error for database x")
	}
	if s := err.Error(); strings.Contains(s, "hunter2") {
		t.Errorf("error %q shows the password", s)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"redis://127.0.0.1:6379/0", "redis+cluster://a:1,b:2", "redis+sentinel://a:1/m/0", "redis://a:1,b:2?cluster=true"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := redisurl.Parse(s)
		if err == nil && len(c.Addrs()) == 0 {
			t.Errorf("Parse(%q): no address", s)
		}
	})
}
