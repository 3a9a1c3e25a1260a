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

// What the scheduled jobs keep (schedules.Store, which cmd/sangkien
// holds this Store to): the claim on each firing and the weekly counts of
// the digest's chart. The messages they enqueue go through the outbox
// (EnqueueNew, outbox.go).

// How long the job markers live.
const (
	runDoneTTL = 8 * 24 * time.Hour   // a finished firing: longer than any replica could still try it
	weekTTL    = 400 * 24 * time.Hour // a unit's weekly counts: the chart reads 12 weeks
)

// ClaimRun claims the firing of job at firing for token, for lease; it
// reports false when another run holds the claim or finished that firing.
// A claim that finds token already there is token's: the same command run
// twice (go-redis sends it again after a read timeout). Round trips: 1
// (SET NX GET PX).
func (s *Store) ClaimRun(ctx context.Context, job string, firing time.Time, token string, lease time.Duration) (bool, error) {
	prev, err := s.rdb.Do(ctx, "SET", s.keys.run(job, firing), token, "NX", "GET", "PX", lease.Milliseconds()).Text()
	switch {
	case errors.Is(err, redis.Nil):
		return true, nil
	case err != nil:
		return false, fmt.Errorf("claim %s at %s: %w", job, firing.Format(time.RFC3339), err)
	}
	return prev == token, nil
}

// finishRunScript ends a claim made with a token: done marks the firing
// finished for good; otherwise the claim is dropped, so that a later try
// (a restart's catch-up) may run it again.
//
// KEYS[1] the run claim
//
// ARGV[1] token of the claim
// ARGV[2] "1": done
// ARGV[3] how long "done" is kept, ms
//
// Returns 1, or 0 when the claim is no longer the token's (its lease ran out).
var finishRunScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '1' then
  redis.call('SET', KEYS[1], 'done', 'PX', ARGV[3])
else
  redis.call('DEL', KEYS[1])
end
return 1
`)

// FinishRun ends the claim token holds on a firing: done marks it finished
// (no replica runs it again); otherwise the claim is released. Round
// trips: 1 (EVALSHA).
func (s *Store) FinishRun(ctx context.Context, job string, firing time.Time, token string, done bool) error {
	d := "0"
	if done {
		d = "1"
	}
	err := finishRunScript.Run(ctx, s.rdb, []string{s.keys.run(job, firing)}, token, d, runDoneTTL.Milliseconds()).Err()
	if err != nil {
		return fmt.Errorf("finish %s at %s: %w", job, firing.Format(time.RFC3339), err)
	}
	return nil
}

// CountByStatus counts unit code's proposals in each status. Round trips:
// 1 (a pipeline of ZCARD, one per status).
func (s *Store) CountByStatus(ctx context.Context, code string) (map[bot.Status]int, error) {
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.IntCmd, len(bot.Statuses))
	for i, st := range bot.Statuses {
		cmds[i] = pipe.ZCard(ctx, s.keys.status(code, st))
	}
	_, _ = pipe.Exec(ctx)
	out := map[bot.Status]int{}
	for i, c := range cmds {
		n, err := c.Result()
		if err != nil {
			return nil, fmt.Errorf("count proposals of %s: %w", code, err)
		}
		if n > 0 {
			out[bot.Statuses[i]] = int(n)
		}
	}
	return out, nil
}

// Changed lists unit code's proposals that entered their current status
// at or after since, oldest first. Round trips: 1 (a pipeline of
// ZRANGEBYSCORE, one per status).
func (s *Store) Changed(ctx context.Context, code string, since time.Time) ([]string, error) {
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.ZSliceCmd, len(bot.Statuses))
	min := strconv.FormatInt(since.UnixMilli(), 10)
	for i, st := range bot.Statuses {
		cmds[i] = pipe.ZRangeByScoreWithScores(ctx, s.keys.status(code, st), &redis.ZRangeBy{Min: min, Max: "+inf"})
	}
	_, _ = pipe.Exec(ctx)
	ids, err := mergeByScore(cmds)
	if err != nil {
		return nil, fmt.Errorf("changed proposals of %s: %w", code, err)
	}
	return ids, nil
}

// SaveWeek stores unit code's counts by status for an ISO week
// (2026-W10), replacing what was stored for it. Round trips: 1 (MULTI
// DEL HSET PEXPIRE EXEC).
func (s *Store) SaveWeek(ctx context.Context, code, week string, counts map[bot.Status]int) error {
	k := s.keys.week(code, week)
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, k)
		if len(counts) > 0 {
			vals := make([]any, 0, 2*len(counts))
			for st, n := range counts {
				vals = append(vals, string(st), n)
			}
			p.HSet(ctx, k, vals...)
			p.PExpire(ctx, k, weekTTL)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("save week %s of %s: %w", week, code, err)
	}
	return nil
}

// Weeks reads unit code's counts of the given weeks; a week without counts
// is nil. Round trips: 1 (a pipeline of HGETALL, one per week).
func (s *Store) Weeks(ctx context.Context, code string, weeks []string) ([]map[bot.Status]int, error) {
	out := make([]map[bot.Status]int, len(weeks))
	if len(weeks) == 0 {
		return out, nil
	}
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.MapStringStringCmd, len(weeks))
	for i, w := range weeks {
		cmds[i] = pipe.HGetAll(ctx, s.keys.week(code, w))
	}
	_, _ = pipe.Exec(ctx)
	for i, c := range cmds {
		h, err := c.Result()
		if err != nil {
			return nil, fmt.Errorf("weeks of %s: %w", code, err)
		}
		if len(h) == 0 {
			continue
		}
		m := map[bot.Status]int{}
		for st, v := range h {
			n, _ := strconv.Atoi(v)
			m[bot.Status(st)] = n
		}
		out[i] = m
	}
	return out, nil
}
