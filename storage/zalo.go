package storage

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// What the Zalo adapter keeps besides the engine's state: the OA's token
// pair. Zalo's refresh token works once and the answer to it carries the
// next one, so the pair is written in one step, and only over the refresh
// token that was presented: a replica that refreshed late cannot put a
// spent token back. Which replica refreshes is a lease (AcquireLease).

// Tokens returns the stored token pair name; refresh is "" when none is
// stored, refused says why the last refresh with it was refused ("": it
// was not).
func (s *Store) Tokens(ctx context.Context, name string) (access, refresh string, expires time.Time, refused string, err error) {
	v, err := s.rdb.HMGet(ctx, s.keys.tokens(name), "access", "refresh", "expires", "refused").Result()
	if err != nil {
		return "", "", time.Time{}, "", fmt.Errorf("read tokens %s: %w", name, err)
	}
	str := func(i int) string { x, _ := v[i].(string); return x }
	if ms, err := strconv.ParseInt(str(2), 10, 64); err == nil && ms > 0 {
		expires = time.UnixMilli(ms)
	}
	return str(0), str(1), expires, str(3), nil
}

// seedTokensScript stores a first refresh token when none is stored.
//
// KEYS[1] token pair
// ARGV[1] refresh token
//
// Returns 1 when stored, 0 when a pair was there.
var seedTokensScript = redis.NewScript(`
if redis.call('HEXISTS', KEYS[1], 'refresh') == 1 then return 0 end
redis.call('HSET', KEYS[1], 'refresh', ARGV[1], 'expires', '0')
return 1
`)

// SeedTokens stores refresh as the pair name's refresh token when the
// store holds none (an access token is then to be got at once); seeded is
// false when it held one, which it keeps. One round trip.
func (s *Store) SeedTokens(ctx context.Context, name, refresh string) (seeded bool, err error) {
	if refresh == "" {
		return false, errors.New("seed tokens: no refresh token")
	}
	n, err := seedTokensScript.Run(ctx, s.rdb, []string{s.keys.tokens(name)}, refresh).Int()
	if err != nil {
		return false, fmt.Errorf("seed tokens %s: %w", name, err)
	}
	return n == 1, nil
}

// rotateTokensScript replaces a token pair, only over the refresh token
// that was presented to get the new one.
//
// KEYS[1] token pair
// ARGV[1] the refresh token presented
// ARGV[2] new access token
// ARGV[3] new refresh token
// ARGV[4] when the new access token ends, unix ms
//
// Returns 1 when written, 0 when the stored refresh token is another.
var rotateTokensScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'refresh') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'access', ARGV[2], 'refresh', ARGV[3], 'expires', ARGV[4])
redis.call('HDEL', KEYS[1], 'refused')
return 1
`)

// RotateTokens stores the pair that presenting used got, in one step with
// the removal of used; ok is false, and nothing written, when the stored
// refresh token is no longer used. One round trip.
func (s *Store) RotateTokens(ctx context.Context, name, used, access, refresh string, expires time.Time) (ok bool, err error) {
	n, err := rotateTokensScript.Run(ctx, s.rdb, []string{s.keys.tokens(name)}, used, access, refresh, expires.UnixMilli()).Int()
	if err != nil {
		return false, fmt.Errorf("rotate tokens %s: %w", name, err)
	}
	return n == 1, nil
}

// refuseTokensScript notes why the platform refused a refresh token, when
// it is still the stored one.
//
// KEYS[1] token pair
// ARGV[1] the refresh token refused
// ARGV[2] the reason
//
// Returns 1 when noted, 0 when the stored refresh token is another.
var refuseTokensScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'refresh') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'refused', ARGV[2])
return 1
`)

// RefuseTokens notes that the platform refused the stored refresh token
// used, with its reason, so that no replica presents it again. One round
// trip.
func (s *Store) RefuseTokens(ctx context.Context, name, used, reason string) error {
	if err := refuseTokensScript.Run(ctx, s.rdb, []string{s.keys.tokens(name)}, used, reason).Err(); err != nil {
		return fmt.Errorf("refuse tokens %s: %w", name, err)
	}
	return nil
}

// ReseedTokens replaces a refused refresh token with a new one (the OA was
// authorized again); it does nothing unless the stored one was refused.
// One round trip.
func (s *Store) ReseedTokens(ctx context.Context, name, refresh string) (ok bool, err error) {
	n, err := reseedTokensScript.Run(ctx, s.rdb, []string{s.keys.tokens(name)}, refresh).Int()
	if err != nil {
		return false, fmt.Errorf("reseed tokens %s: %w", name, err)
	}
	return n == 1, nil
}

// reseedTokensScript stores a new refresh token over a refused one.
//
// KEYS[1] token pair
// ARGV[1] the new refresh token
//
// Returns 1 when stored, 0 when the stored one was not refused or is the
// same.
var reseedTokensScript = redis.NewScript(`
if redis.call('HEXISTS', KEYS[1], 'refused') == 0 then return 0 end
if redis.call('HGET', KEYS[1], 'refresh') == ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'refresh', ARGV[1], 'expires', '0')
return 1
`)
