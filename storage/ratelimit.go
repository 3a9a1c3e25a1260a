package storage

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sangkien/sangkien/bot"
)

// A rate limiter shared by every replica, for any sender that has limits
// to keep (the Telegram bot, a Slack team). One call touches one hash slot
// (a limiter's windows share their scope's), so it runs on Redis Cluster
// as on a single server.

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
