package storage

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/sangkien/sangkien/bot"
)

// layout is the version of the key layout this code writes, kept in
// sk:layout. Version 2 added the escalation indexes (u:<CODE>:esc:<status>).
const layout = 2

// escBackfillScript puts one proposal into its unit's escalation index
// when its record says it is escalated, reading the record in the same
// script, so that a commit made meanwhile is never undone.
//
// KEYS[1] record
// KEYS[2 ..] escalated index of each status, in the order of ARGV[2 ..]
// ARGV[1] proposal id
// ARGV[2 ..] the statuses
//
// Returns 1 when the proposal was indexed.
var escBackfillScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if not cur then return 0 end
local rec = cjson.decode(cur)
local level = tonumber(rec['escalation'] or 0)
if level == nil or level <= 0 then return 0 end
for i = 2, #ARGV do
  if rec['status'] == ARGV[i] then
    redis.call('ZADD', KEYS[i], level, ARGV[1])
    return 1
  end
end
return 0
`)

// Upgrade brings data written by an earlier version to the current key
// layout, once: it fills the escalation indexes from the records (every
// record is read, a batch of scripts per 512 proposals). It returns how
// many proposals it indexed; on data already upgraded, or on an empty
// store, it only reads sk:layout. Running it twice, or on two replicas at
// once, does no harm.
func (s *Store) Upgrade(ctx context.Context) (int, error) {
	v, err := s.rdb.Get(ctx, s.keys.layout()).Int()
	if err != nil && !errors.Is(err, redis.Nil) {
		return 0, fmt.Errorf("upgrade: read layout: %w", err)
	}
	if v >= layout {
		return 0, nil
	}
	ids, err := s.AllProposals(ctx)
	if err != nil {
		return 0, fmt.Errorf("upgrade: %w", err)
	}
	indexed := 0
	for start := 0; start < len(ids); start += 512 {
		var calls []boundCall
		for _, id := range ids[start:min(start+512, len(ids))] {
			code := bot.CodeOf(id)
			keys := []string{s.keys.record(id)}
			args := []any{id}
			for _, st := range bot.Statuses {
				keys = append(keys, s.keys.escalated(code, st))
				args = append(args, string(st))
			}
			calls = append(calls, boundCall{sc: escBackfillScript, scriptCall: scriptCall{keys: keys, args: args}})
		}
		cmds, err := runEach(ctx, s.rdb, calls)
		if err != nil {
			return indexed, fmt.Errorf("upgrade: index escalated proposals: %w", err)
		}
		for _, c := range cmds {
			if n, _ := c.Int(); n == 1 {
				indexed++
			}
		}
	}
	if err := s.rdb.Set(ctx, s.keys.layout(), strconv.Itoa(layout), 0).Err(); err != nil {
		return indexed, fmt.Errorf("upgrade: write layout: %w", err)
	}
	return indexed, nil
}
