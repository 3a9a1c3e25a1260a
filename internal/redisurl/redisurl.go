// Package redisurl opens the Redis that SANGKIEN_REDIS_URL names: a single
// server, a Redis Cluster or a master watched by Sentinel, each through
// go-redis's own client for it (the three a redis.UniversalClient covers).
//
//	redis://[user:password@]host:port[/db][?option=value...]        single server (rediss:// for TLS)
//	redis+cluster://[user:password@]host:port,host:port[?...]      cluster: any masters to start from
//	redis://host:port,host:port?cluster=true                       the same
//	redis+sentinel://[user:password@]host:port,host:port/master[/db][?...]  Sentinel: the sentinels and the master's name
//
// The options are go-redis's URL options (dial_timeout=3s, pool_size=20,
// ...). In the Sentinel form the user and password are those of the
// master and its replicas; sentinel_username and sentinel_password may be
// given as options for the sentinels themselves. rediss+cluster:// and
// rediss+sentinel:// use TLS.
package redisurl

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// The kinds of deployment a URL names.
const (
	Single   = "single"
	Cluster  = "cluster"
	Sentinel = "sentinel"
)

// Config is a parsed URL: its Kind and the options of that kind's client
// (the other two are nil).
type Config struct {
	Kind     string
	Single   *redis.Options
	Cluster  *redis.ClusterOptions
	Sentinel *redis.FailoverOptions
}

// Addrs are the addresses the URL names (the sentinels', for Sentinel).
func (c *Config) Addrs() []string {
	switch c.Kind {
	case Cluster:
		return c.Cluster.Addrs
	case Sentinel:
		return c.Sentinel.SentinelAddrs
	}
	return []string{c.Single.Addr}
}

// Parse parses a Redis URL of any of the forms above.
func Parse(raw string) (*Config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("redis url: %w", redact(err))
	}
	scheme, kind, _ := strings.Cut(u.Scheme, "+")
	if scheme != "redis" && scheme != "rediss" {
		return nil, fmt.Errorf("redis url: scheme %q: want redis://, rediss://, redis+cluster:// or redis+sentinel://", u.Scheme)
	}
	q := u.Query()
	if v := q.Get("cluster"); v != "" {
		on, err := strconv.ParseBool(v)
		if err != nil {
			return nil, fmt.Errorf("redis url: cluster=%q: want true or false", v)
		}
		if on && kind == "" {
			kind = Cluster
		}
		q.Del("cluster")
	}
	hosts := strings.Split(u.Host, ",")
	for _, h := range hosts {
		if h == "" {
			return nil, errors.New("redis url: an empty host")
		}
	}
	// Each kind is handed to go-redis's own parser for it, in the form it
	// reads: the first host in the URL, the others as addr options.
	base := func(path string) string {
		v := url.Values{}
		for k, vs := range q {
			v[k] = vs
		}
		for _, h := range hosts[1:] {
			v.Add("addr", h)
		}
		r := url.URL{Scheme: scheme, User: u.User, Host: hosts[0], Path: path, RawQuery: v.Encode()}
		return r.String()
	}
	switch kind {
	case "":
		if len(hosts) > 1 {
			return nil, errors.New("redis url: several hosts: add ?cluster=true or use redis+cluster:// or redis+sentinel://")
		}
		o, err := redis.ParseURL(raw)
		if err != nil {
			return nil, fmt.Errorf("redis url: %w", redact(err))
		}
		return &Config{Kind: Single, Single: o}, nil
	case Cluster:
		if p := strings.Trim(u.Path, "/"); p != "" && p != "0" {
			return nil, fmt.Errorf("redis url: a cluster has only database 0, not %q", p)
		}
		o, err := redis.ParseClusterURL(base(""))
		if err != nil {
			return nil, fmt.Errorf("redis url: %w", redact(err))
		}
		return &Config{Kind: Cluster, Cluster: o}, nil
	case Sentinel:
		parts := strings.Split(strings.Trim(u.Path, "/"), "/")
		if parts[0] == "" || len(parts) > 2 {
			return nil, errors.New("redis url: sentinel: want redis+sentinel://host:port,.../master[/db]")
		}
		if q.Has("master_name") {
			return nil, errors.New("redis url: sentinel: the master's name goes in the path, not master_name")
		}
		q.Set("master_name", parts[0])
		path := ""
		if len(parts) == 2 {
			if _, err := strconv.Atoi(parts[1]); err != nil {
				return nil, fmt.Errorf("redis url: sentinel: database %q is not a number", parts[1])
			}
			path = "/" + parts[1]
		}
		// go-redis reads the URL's user and password as the sentinels';
		// here they are the master's, as with the other forms.
		user, pass := "", ""
		if u.User != nil {
			user = u.User.Username()
			pass, _ = u.User.Password()
		}
		sentinel := *u
		sentinel.User = nil
		u = &sentinel
		sUser, sPass := q.Get("sentinel_username"), q.Get("sentinel_password")
		q.Del("sentinel_username")
		q.Del("sentinel_password")
		o, err := redis.ParseFailoverURL(base(path))
		if err != nil {
			return nil, fmt.Errorf("redis url: %w", redact(err))
		}
		o.Username, o.Password = user, pass
		o.SentinelUsername, o.SentinelPassword = sUser, sPass
		return &Config{Kind: Sentinel, Sentinel: o}, nil
	}
	return nil, fmt.Errorf("redis url: scheme %q: want redis://, rediss://, redis+cluster:// or redis+sentinel://", u.Scheme)
}

// Open parses raw and returns a client of its kind.
func Open(raw string) (redis.UniversalClient, *Config, error) {
	c, err := Parse(raw)
	if err != nil {
		return nil, nil, err
	}
	return c.NewClient(), c, nil
}

// NewClient returns a new client of the config's kind.
func (c *Config) NewClient() redis.UniversalClient {
	switch c.Kind {
	case Cluster:
		return redis.NewClusterClient(c.Cluster)
	case Sentinel:
		return redis.NewFailoverClient(c.Sentinel)
	}
	return redis.NewClient(c.Single)
}

// redact drops a password that an error of net/url may quote.
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil {
			ue.URL = u.Redacted()
		} else {
			ue.URL = "(redacted)"
		}
	}
	return err
}
