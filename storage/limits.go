package storage

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sangkien/sangkien/bot"
)

// What the engine limits per person (bot/throttle.go): a counter of
// inbound updates per window, counted in the pipeline of the Load that
// claims the update (no round trip of its own), and a throttle of failed
// attempts (wrong join codes), read in that pipeline too and written by
// Fail. Both live in the person's shard and expire on their own.

// pipeLimits adds to pipe the commands that count req's update and read
// its throttle; each is nil when req asks for none.
func (s *Store) pipeLimits(ctx context.Context, pipe redis.Pipeliner, req bot.LoadRequest) (*redis.IntCmd, *redis.SliceCmd) {
	var count *redis.IntCmd
	var throttle *redis.SliceCmd
	if req.Person == "" {
		return nil, nil
	}
	if c := req.Count; c != nil && c.Name != "" {
		key := s.keys.counter(req.Person, c.Name)
		count = pipe.Incr(ctx, key)
		// Absolute, on the wall clock Redis expires keys by, so that the
		// embedded store's replay of the write ends it at the same moment.
		pipe.PExpireAt(ctx, key, time.Now().Add(c.TTL))
	}
	if req.Throttle != "" {
		throttle = pipe.HMGet(ctx, s.keys.throttle(req.Person, req.Throttle), "n", "until")
	}
	return count, throttle
}

// readLimits reads what pipeLimits asked into out.
func readLimits(out *bot.Loaded, count *redis.IntCmd, throttle *redis.SliceCmd) error {
	if count != nil {
		n, err := count.Result()
		if err != nil {
			return fmt.Errorf("count update: %w", err)
		}
		out.Count = n
	}
	if throttle != nil {
		v, err := throttle.Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			return fmt.Errorf("read throttle: %w", err)
		}
		out.Throttle = decodeThrottle(v)
	}
	return nil
}

// decodeThrottle reads the fields n and until of a throttle hash.
func decodeThrottle(v []any) bot.Throttle {
	var t bot.Throttle
	if len(v) != 2 {
		return t
	}
	if s, ok := v[0].(string); ok {
		t.Failures, _ = strconv.Atoi(s)
	}
	if s, ok := v[1].(string); ok {
		if ms, err := strconv.ParseInt(s, 10, 64); err == nil && ms > 0 {
			t.Until = time.UnixMilli(ms)
		}
	}
	return t
}

// failScript counts a failed attempt and sets when the next may be made:
// the first ARGV[2] failures cost nothing, the next waits ARGV[3] ms, each
// one after twice as long, up to ARGV[4] ms.
//
// KEYS[1] throttle hash (n, until)
// ARGV[1] now, unix ms (the engine's clock)
// ARGV[2] failures free of a wait
// ARGV[3] the first wait, ms
// ARGV[4] the longest wait, ms
// ARGV[5] when the record expires, unix ms (wall clock), before the wait
//
// Returns {failures, until (unix ms)}.
var failScript = redis.NewScript(`
local n = redis.call('HINCRBY', KEYS[1], 'n', 1)
local now, free = tonumber(ARGV[1]), tonumber(ARGV[2])
local wait, max = 0, tonumber(ARGV[4])
if n > free then
  wait = tonumber(ARGV[3])
  for i = 1, n - free - 1 do
    wait = wait * 2
    if wait >= max then break end
  end
  if wait > max then wait = max end
end
local untilms = now + wait
redis.call('HSET', KEYS[1], 'until', untilms)
redis.call('PEXPIREAT', KEYS[1], tonumber(ARGV[5]) + wait)
return {n, untilms}
`)

// Fail records a failed attempt at throttle name for person at now and
// returns the throttle after it. Round trips: 1 (EVALSHA).
func (s *Store) Fail(ctx context.Context, person, name string, now time.Time, r bot.ThrottleRule) (bot.Throttle, error) {
	v, err := failScript.Run(ctx, s.rdb, []string{s.keys.throttle(person, name)},
		now.UnixMilli(), r.Free, r.First.Milliseconds(), r.Max.Milliseconds(), time.Now().Add(r.Forget).UnixMilli()).Int64Slice()
	if err != nil {
		return bot.Throttle{}, fmt.Errorf("record failed %s of %s: %w", name, person, err)
	}
	if len(v) != 2 {
		return bot.Throttle{}, fmt.Errorf("record failed %s of %s: answer %v", name, person, v)
	}
	return bot.Throttle{Failures: int(v[0]), Until: time.UnixMilli(v[1])}, nil
}
