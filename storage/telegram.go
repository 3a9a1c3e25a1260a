package storage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sangkien/sangkien/bot"
)

// What a chat platform adapter needs from Redis besides the engine's state:
// a lease so that one replica polls, the polling offset, and a rate limiter
// shared by every replica. Each call touches one hash slot (a lease or an
// offset its own, a limiter's windows their scope's), so it runs on Redis
// Cluster as on a single server.

// lease is the holder of a named lease, a string whose value is the
// owner's token and whose expiry is the end of the lease: sk:{lease:<name>}.
func (k keyspace) lease(name string) string {
	return k.prefix + ":{lease:" + name + "}"
}

// offset is a poller's next update offset, a decimal string:
// sk:{offset:<name>}.
func (k keyspace) offset(name string) string {
	return k.prefix + ":{offset:" + name + "}"
}

// rate is the sliding-window log of one rate limit within scope, a sorted
// set of sends scored by when they were counted (unix ms):
// sk:{rate:<scope>}:<key>. Every window of one scope shares a hash slot,
// so that one script counts a send under all of them.
func (k keyspace) rate(scope, key string) string {
	return k.prefix + ":{rate:" + scope + "}:" + key
}

// leaseAcquireScript takes the lease for its owner when it is free, or
// extends it when the owner already holds it.
//
// KEYS[1] lease
// ARGV[1] owner token
// ARGV[2] when the lease ends, unix ms (wall clock)
//
// Returns 1 when the owner holds the lease, 0 when another does.
var leaseAcquireScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if cur and cur ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[2])
return 1
`)

// leaseRenewScript extends the lease only when its owner still holds it.
//
// KEYS[1] lease
// ARGV[1] owner token
// ARGV[2] when the lease ends, unix ms (wall clock)
//
// Returns 1 when extended, 0 when the lease is lost (expired or taken).
var leaseRenewScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
return 1
`)

// leaseReleaseScript drops the lease only when its owner holds it.
//
// KEYS[1] lease
// ARGV[1] owner token
//
// Returns 1 when dropped, 0 when the owner did not hold it.
var leaseReleaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
`)

// NewLeaseOwner returns a random owner token for the leases of one process.
func NewLeaseOwner() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// AcquireLease takes the lease name for owner for ttl, or extends it when
// owner holds it already; ok is false while another owner holds it.
func (s *Store) AcquireLease(ctx context.Context, name, owner string, ttl time.Duration) (ok bool, err error) {
	n, err := leaseAcquireScript.Run(ctx, s.rdb, []string{s.keys.lease(name)}, owner, leaseEnd(ttl)).Int()
	if err != nil {
		return false, fmt.Errorf("acquire lease %s: %w", name, err)
	}
	return n == 1, nil
}

// RenewLease extends owner's lease name to ttl from now; ok is false when
// owner no longer holds it (it expired, or another owner took it), and
// then it is left alone.
func (s *Store) RenewLease(ctx context.Context, name, owner string, ttl time.Duration) (ok bool, err error) {
	n, err := leaseRenewScript.Run(ctx, s.rdb, []string{s.keys.lease(name)}, owner, leaseEnd(ttl)).Int()
	if err != nil {
		return false, fmt.Errorf("renew lease %s: %w", name, err)
	}
	return n == 1, nil
}

// ReleaseLease drops owner's lease name so that another owner may take it
// at once; it does nothing when owner does not hold it.
func (s *Store) ReleaseLease(ctx context.Context, name, owner string) error {
	if err := leaseReleaseScript.Run(ctx, s.rdb, []string{s.keys.lease(name)}, owner).Err(); err != nil {
		return fmt.Errorf("release lease %s: %w", name, err)
	}
	return nil
}

// leaseEnd is when a lease taken now for ttl ends. It reads the wall clock,
// as Redis expires keys by it, and is absolute so that the embedded
// store's replay of the write ends it at the same moment.
func leaseEnd(ttl time.Duration) int64 { return time.Now().Add(ttl).UnixMilli() }

// Offset returns the stored offset of poller name, 0 when none is stored.
func (s *Store) Offset(ctx context.Context, name string) (int64, error) {
	v, err := s.rdb.Get(ctx, s.keys.offset(name)).Result()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read offset %s: %w", name, err)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("read offset %s: %w", name, err)
	}
	return n, nil
}

// SetOffset stores the offset of poller name. It does not insist on going
// forward: Telegram may restart update ids lower after a quiet week.
func (s *Store) SetOffset(ctx context.Context, name string, offset int64) error {
	if err := s.rdb.Set(ctx, s.keys.offset(name), offset, 0).Err(); err != nil {
		return fmt.Errorf("store offset %s: %w", name, err)
	}
	return nil
}

// allowScript is a sliding-window log over several windows at once: it
// counts a send in every window when each holds fewer than its limit, else
// counts it in none and says how long until the fullest one has room.
//
// KEYS[i] rate log of window i (sorted set of sends scored by unix ms)
// ARGV[1] now, unix ms (the store's clock)
// ARGV[2] member naming this send (unique)
// ARGV[3i], ARGV[3i+1], ARGV[3i+2] window i: length in ms, limit, and when
// its log expires, unix ms (wall clock)
//
// Returns 0 when the send is counted, else the wait in ms (at least 1).
// A send already counted (the same call sent again: go-redis resends after
// a read timeout, and a hung Redis runs both) is told 0 again, not to
// wait for the slot it took itself.
var allowScript = redis.NewScript(`
if redis.call('ZSCORE', KEYS[1], ARGV[2]) then return 0 end
local now = tonumber(ARGV[1])
local wait = 0
for i, key in ipairs(KEYS) do
  local window, limit = tonumber(ARGV[3*i]), tonumber(ARGV[3*i+1])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local n = redis.call('ZCARD', key)
  if n >= limit then
    local oldest = redis.call('ZRANGE', key, n - limit, n - limit, 'WITHSCORES')
    local w = tonumber(oldest[2]) + window - now
    if w < 1 then w = 1 end
    if w > wait then wait = w end
  end
end
if wait > 0 then return wait end
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[2])
  redis.call('PEXPIREAT', key, ARGV[3*i+2])
end
return 0
`)

// Allow asks whether one more send fits within every window of scope.
// When it does, the send is counted in all of them and wait is 0;
// otherwise nothing is counted and wait says how long until it would fit
// (so a full bot window never uses up a chat's slot). Windows slide (a log
// of the sends of the last Per), so there is no burst at window edges, and
// the counts are shared by every replica on this Redis. A window with no
// N or Per is no limit. One round trip.
func (s *Store) Allow(ctx context.Context, scope string, windows ...bot.Window) (wait time.Duration, err error) {
	now := s.clock.Now()
	member := strconv.FormatInt(now.UnixNano(), 36) + "-" + NewLeaseOwner()[:8]
	keys := make([]string, 0, len(windows))
	args := make([]any, 0, 2+3*len(windows))
	args = append(args, now.UnixMilli(), member)
	for _, w := range windows {
		if w.N <= 0 || w.Per <= 0 {
			continue
		}
		keys = append(keys, s.keys.rate(scope, w.Key))
		args = append(args, w.Per.Milliseconds(), w.N, time.Now().Add(w.Per).UnixMilli()+1000)
	}
	if len(keys) == 0 {
		return 0, nil
	}
	ms, err := allowScript.Run(ctx, s.rdb, keys, args...).Int64()
	if err != nil {
		return 0, fmt.Errorf("rate limit %s: %w", scope, err)
	}
	return time.Duration(ms) * time.Millisecond, nil
}
