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
)

// What a polling adapter (Telegram's getUpdates) needs from Redis besides
// the engine's state: a lease so that one replica polls, and the offset it
// polls from, which the lease holder keeps. Each call touches one
// hash slot (a lease or an offset its own), so it runs on Redis Cluster as
// on a single server.

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
