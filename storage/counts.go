package storage

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/sangkien/sangkien/bot"
)

// Counts returns how many proposals are in each status, over every unit
// code that has proposals. Round trips: 2 (SMEMBERS of the unit codes, then
// a pipeline of ZCARD per code and status). For metrics and the digest:
// cheap, since it counts index entries and reads no record.
func (s *Store) Counts(ctx context.Context) (map[bot.Status]int64, error) {
	codes, err := s.rdb.SMembers(ctx, s.keys.units()).Result()
	if err != nil {
		return nil, fmt.Errorf("count proposals: %w", err)
	}
	pipe := s.rdb.Pipeline()
	cmds := make(map[bot.Status][]*redis.IntCmd, len(bot.Statuses))
	for _, code := range codes {
		for _, st := range bot.Statuses {
			cmds[st] = append(cmds[st], pipe.ZCard(ctx, s.keys.status(code, st)))
		}
	}
	if len(codes) > 0 {
		if _, err := pipe.Exec(ctx); err != nil {
			return nil, fmt.Errorf("count proposals: %w", err)
		}
	}
	out := make(map[bot.Status]int64, len(bot.Statuses))
	for _, st := range bot.Statuses {
		var n int64
		for _, c := range cmds[st] {
			n += c.Val()
		}
		out[st] = n
	}
	return out, nil
}
