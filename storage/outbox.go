package storage

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sangkien/sangkien/bot"
)

// The outbox is sharded like everything else: each shard has a sorted set
// of message ids by due time, a hash of the waiting envelopes and a hash of
// the parked ones. A message enters the outbox of the shard whose atomic
// write caused it (the unit's for Commit, the person's for SaveSession);
// Enqueue uses the shard of Message.Key, else of Message.ID.

// Enqueue adds messages outside a state change. Messages whose Key was
// enqueued before (in the same shard: the Key's, for Enqueue) are skipped.
// Round trips: 1 (a pipeline of one EVALSHA per shard touched).
func (s *Store) Enqueue(ctx context.Context, msgs []bot.Message) error {
	_, err := s.EnqueueNew(ctx, msgs)
	return err
}

// claimed is an envelope taken by Claim with its due time before.
type claimed struct {
	env *bot.Envelope
	due float64
}

// Claim takes up to max messages due by now, oldest first, and hides them
// until now+lease. Round trips: 1 (a pipeline of one EVALSHA per shard,
// each taking up to max); a second one only when the shards gave more than
// max together, to hand the surplus back.
func (s *Store) Claim(ctx context.Context, now time.Time, lease time.Duration, max int) ([]*bot.Envelope, error) {
	if max <= 0 {
		return nil, nil
	}
	until := now.Add(lease).UnixMilli()
	calls := make([]scriptCall, shards)
	for n := range shards {
		calls[n] = scriptCall{
			keys: []string{s.keys.outboxDue(n), s.keys.outboxMsg(n)},
			args: []any{now.UnixMilli(), until, max},
		}
	}
	cmds, err := runAll(ctx, s.rdb, claimScript, calls)
	if err != nil {
		return nil, fmt.Errorf("claim: %w", err)
	}
	// Each shard gave up to max: decode only those that may be among the
	// max soonest due (the order is by due time first), not the surplus
	// that goes back; with a backlog that is most of them.
	type raw struct {
		shard   int
		id, env string
		due     float64
	}
	var raws []raw
	for n, cmd := range cmds {
		vals, err := cmd.StringSlice()
		if err != nil {
			return nil, fmt.Errorf("claim in shard %d: %w", n, err)
		}
		for i := 0; i+2 < len(vals); i += 3 {
			due, _ := strconv.ParseFloat(vals[i+1], 64)
			raws = append(raws, raw{n, vals[i], vals[i+2], due})
		}
	}
	var cut float64 // decode those due at or before it
	if len(raws) > max {
		dues := make([]float64, len(raws))
		for i, r := range raws {
			dues[i] = r.due
		}
		slices.Sort(dues)
		cut = dues[max-1]
	}
	var got, rest []claimed
	for _, r := range raws {
		if len(raws) > max && r.due > cut {
			rest = append(rest, claimed{&bot.Envelope{Message: bot.Message{ID: r.id}, Shard: r.shard}, r.due})
			continue
		}
		e := new(bot.Envelope)
		if err := json.Unmarshal([]byte(r.env), e); err != nil {
			return nil, fmt.Errorf("decode message %s: %w", r.id, err)
		}
		e.Shard = r.shard
		got = append(got, claimed{e, r.due})
	}
	// Ids grow with the time they were made (bot.NewMessageID): among
	// messages due at once, the id is their order; Queued is taken per
	// shard and may differ by a little between shards of one write.
	slices.SortFunc(got, func(a, b claimed) int {
		return cmp.Or(cmp.Compare(a.due, b.due), strings.Compare(a.env.ID, b.env.ID))
	})
	if len(got) > max {
		rest = append(rest, got[max:]...)
		got = got[:max]
	}
	if len(rest) > 0 {
		if err := s.unclaim(ctx, until, rest); err != nil {
			return nil, err
		}
	}
	out := make([]*bot.Envelope, len(got))
	for i, c := range got {
		out[i] = c.env
	}
	return out, nil
}

// unclaim gives back what a Claim took beyond its max.
func (s *Store) unclaim(ctx context.Context, until int64, surplus []claimed) error {
	args := make([][]any, shards)
	for _, c := range surplus {
		n := c.env.Shard
		if args[n] == nil {
			args[n] = []any{until}
		}
		args[n] = append(args[n], c.env.ID, strconv.FormatFloat(c.due, 'f', -1, 64))
	}
	var calls []scriptCall
	for n, a := range args {
		if a != nil {
			calls = append(calls, scriptCall{[]string{s.keys.outboxDue(n)}, a})
		}
	}
	if _, err := runAll(ctx, s.rdb, unclaimScript, calls); err != nil {
		return fmt.Errorf("claim: give back surplus: %w", err)
	}
	return nil
}

// Ack removes a delivered message. Round trips: 1 (MULTI ZREM HDEL EXEC).
func (s *Store) Ack(ctx context.Context, e *bot.Envelope) error {
	if err := checkShard(e); err != nil {
		return fmt.Errorf("ack: %w", err)
	}
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZRem(ctx, s.keys.outboxDue(e.Shard), e.ID)
		p.HDel(ctx, s.keys.outboxMsg(e.Shard), e.ID)
		return nil
	})
	if err != nil {
		return fmt.Errorf("ack %s: %w", e.ID, err)
	}
	return nil
}

// Defer stores e and makes it due at at. Round trips: 1 (MULTI HSET ZADD
// EXEC).
func (s *Store) Defer(ctx context.Context, e *bot.Envelope, at time.Time) error {
	if err := checkShard(e); err != nil {
		return fmt.Errorf("defer: %w", err)
	}
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("defer %s: %w", e.ID, err)
	}
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, s.keys.outboxMsg(e.Shard), e.ID, b)
		p.ZAdd(ctx, s.keys.outboxDue(e.Shard), redis.Z{Score: float64(at.UnixMilli()), Member: e.ID})
		return nil
	})
	if err != nil {
		return fmt.Errorf("defer %s: %w", e.ID, err)
	}
	return nil
}

// Park moves e out of the outbox into the parked messages, with its
// reason in e.Err. Round trips: 1 (MULTI HSET ZREM HDEL EXEC).
func (s *Store) Park(ctx context.Context, e *bot.Envelope) error {
	if err := checkShard(e); err != nil {
		return fmt.Errorf("park: %w", err)
	}
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("park %s: %w", e.ID, err)
	}
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, s.keys.outboxParked(e.Shard), e.ID, b)
		p.ZRem(ctx, s.keys.outboxDue(e.Shard), e.ID)
		p.HDel(ctx, s.keys.outboxMsg(e.Shard), e.ID)
		return nil
	})
	if err != nil {
		return fmt.Errorf("park %s: %w", e.ID, err)
	}
	return nil
}

func checkShard(e *bot.Envelope) error {
	if e == nil || e.ID == "" {
		return errors.New("no message")
	}
	if e.Shard < 0 || e.Shard >= shards {
		return fmt.Errorf("message %s: shard %d out of range", e.ID, e.Shard)
	}
	return nil
}

// Parked lists the parked messages, oldest first. Round trips: 1 (a
// pipeline of HVALS, one per shard).
func (s *Store) Parked(ctx context.Context) ([]*bot.Envelope, error) {
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.StringSliceCmd, shards)
	for n := range shards {
		cmds[n] = pipe.HVals(ctx, s.keys.outboxParked(n))
	}
	_, _ = pipe.Exec(ctx)
	var out []*bot.Envelope
	for n, c := range cmds {
		vals, err := c.Result()
		if err != nil {
			return nil, fmt.Errorf("parked: %w", err)
		}
		for _, v := range vals {
			e := new(bot.Envelope)
			if err := json.Unmarshal([]byte(v), e); err != nil {
				return nil, fmt.Errorf("decode parked message in shard %d: %w", n, err)
			}
			e.Shard = n
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b *bot.Envelope) int {
		return cmp.Or(a.Queued.Compare(b.Queued), strings.Compare(a.ID, b.ID))
	})
	return out, nil
}

// Unpark makes a parked message due at now, with its attempts, error and
// address index reset. Round trips: 2 (a pipeline of HGET, one per shard;
// then EVALSHA in the shard where it was found).
func (s *Store) Unpark(ctx context.Context, id string, now time.Time) error {
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.StringCmd, shards)
	for n := range shards {
		cmds[n] = pipe.HGet(ctx, s.keys.outboxParked(n), id)
	}
	_, _ = pipe.Exec(ctx)
	for n, c := range cmds {
		v, err := c.Result()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			return fmt.Errorf("unpark %s: %w", id, err)
		}
		e := new(bot.Envelope)
		if err := json.Unmarshal([]byte(v), e); err != nil {
			return fmt.Errorf("unpark %s: decode: %w", id, err)
		}
		e.Shard, e.Attempts, e.Next, e.Err = n, 0, 0, ""
		b, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("unpark %s: %w", id, err)
		}
		keys := []string{s.keys.outboxDue(n), s.keys.outboxMsg(n), s.keys.outboxParked(n)}
		ok, err := unparkScript.Run(ctx, s.rdb, keys, id, string(b), now.UnixMilli()).Int()
		if err != nil {
			return fmt.Errorf("unpark %s: %w", id, err)
		}
		if ok == 1 {
			return nil
		}
	}
	return fmt.Errorf("unpark %s: %w", id, bot.ErrNotFound)
}

// Depth counts the messages waiting (including those claimed and not yet
// acknowledged) and parked. Round trips: 1 (a pipeline of ZCARD and HLEN
// per shard).
func (s *Store) Depth(ctx context.Context) (waiting, parked int64, err error) {
	pipe := s.rdb.Pipeline()
	w := make([]*redis.IntCmd, shards)
	p := make([]*redis.IntCmd, shards)
	for n := range shards {
		w[n] = pipe.ZCard(ctx, s.keys.outboxDue(n))
		p[n] = pipe.HLen(ctx, s.keys.outboxParked(n))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, 0, fmt.Errorf("outbox depth: %w", err)
	}
	for n := range shards {
		waiting += w[n].Val()
		parked += p[n].Val()
	}
	return waiting, parked, nil
}
