package storage

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	mrand "math/rand/v2"
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

// EnqueueNew is Enqueue that tells which messages it enqueued: those whose
// Key was not enqueued before. It uses Enqueue's shards and markers (the
// shard of Message.Key, else of Message.ID), so the two may be mixed.
// Round trips: 1 (a pipeline of one EVALSHA per shard touched).
func (s *Store) EnqueueNew(ctx context.Context, msgs []bot.Message) ([]string, error) {
	byShard := map[int][]bot.Message{}
	for _, m := range msgs {
		n := shardOf(cmp.Or(m.Key, m.ID))
		byShard[n] = append(byShard[n], m)
	}
	// One due time for all, so that the outbox hands them out in the
	// order of their ids whatever shards they land in.
	now := s.clock.Now().UnixMilli()
	var calls []scriptCall
	for n := range shards {
		ms := byShard[n]
		if len(ms) == 0 {
			continue
		}
		keys := []string{s.keys.outboxDue(n), s.keys.outboxMsg(n)}
		args := []any{now, markerExpiry(), len(ms)}
		keys, args, err := s.appendMessages(keys, args, n, ms)
		if err != nil {
			return nil, fmt.Errorf("enqueue: %w", err)
		}
		calls = append(calls, scriptCall{keys, args})
	}
	cmds, err := runAll(ctx, s.rdb, enqueueScript, calls)
	if err != nil {
		return nil, fmt.Errorf("enqueue: %w", err)
	}
	added := map[string]bool{}
	for _, c := range cmds {
		ids, err := c.StringSlice()
		if err != nil && !errors.Is(err, redis.Nil) {
			return nil, fmt.Errorf("enqueue: %w", err)
		}
		for _, id := range ids {
			added[id] = true
		}
	}
	var out []string
	for _, m := range msgs { // in the order given
		if added[m.ID] {
			out = append(out, m.ID)
		}
	}
	return out, nil
}

// takeScript claims the given messages of one shard that are still due
// (no other claim took them since they were looked at), hiding each until
// the lease ends by moving its due time there. The lease end carries a
// fraction of a millisecond that names the claim, so that the same call
// sent again (go-redis resends a command after a read timeout; a hung
// Redis then runs both) hands back what the first run took rather than
// taking it for another deliverer's. An id without a message (no write of
// the store leaves one) is dropped.
//
// KEYS[1] outbox due zset
// KEYS[2] outbox message hash
//
// ARGV[1] now, unix ms
// ARGV[2] the claim: end of the lease, unix ms with its naming fraction
// ARGV[3 ..] ids
//
// Returns id, envelope JSON; repeated.
var takeScript = redis.NewScript(`
local now, claim = tonumber(ARGV[1]), tonumber(ARGV[2])
local out = {}
for i = 3, #ARGV do
  local id = ARGV[i]
  local due = tonumber(redis.call('ZSCORE', KEYS[1], id))
  if due and (due <= now or due == claim) then
    local env = redis.call('HGET', KEYS[2], id)
    if env then
      redis.call('ZADD', KEYS[1], ARGV[2], id)
      table.insert(out, id)
      table.insert(out, env)
    else
      redis.call('ZREM', KEYS[1], id)
    end
  end
end
return out
`)

// Claim takes up to max messages due by now, oldest first (by due time,
// then id, which grows with the time a message was made), and hides them
// until now+lease. Round trips: 1 when nothing is due (a pipeline of
// ZRANGEBYSCORE, one per shard); else 2 (then a pipeline of one EVALSHA
// per shard holding some of the max oldest, taking just those).
func (s *Store) Claim(ctx context.Context, now time.Time, lease time.Duration, max int) ([]*bot.Envelope, error) {
	if max <= 0 {
		return nil, nil
	}
	dues, err := s.due(ctx, now, max)
	if err != nil || len(dues) == 0 {
		return nil, err
	}
	return s.take(ctx, now, claimName(now.Add(lease)), dues)
}

// due is a message Claim saw due.
type due struct {
	shard int
	id    string
	at    float64
}

// due returns up to max messages due by now, oldest first.
func (s *Store) due(ctx context.Context, now time.Time, max int) ([]due, error) {
	pipe := s.rdb.Pipeline()
	peeks := make([]*redis.ZSliceCmd, shards)
	for n := range shards {
		peeks[n] = pipe.ZRangeByScoreWithScores(ctx, s.keys.outboxDue(n),
			&redis.ZRangeBy{Min: "-inf", Max: strconv.FormatInt(now.UnixMilli(), 10), Count: int64(max)})
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("claim: %w", err)
	}
	var dues []due
	for n, c := range peeks {
		for _, z := range c.Val() {
			dues = append(dues, due{n, z.Member.(string), z.Score})
		}
	}
	slices.SortFunc(dues, func(a, b due) int { return cmp.Or(cmp.Compare(a.at, b.at), strings.Compare(a.id, b.id)) })
	return dues[:min(len(dues), max)], nil
}

// take claims dues for claim, those still due by now (or already taken by
// claim), and returns them in the order of dues.
func (s *Store) take(ctx context.Context, now time.Time, claim string, dues []due) ([]*bot.Envelope, error) {
	args := make([][]any, shards)
	for _, d := range dues {
		if args[d.shard] == nil {
			args[d.shard] = []any{now.UnixMilli(), claim}
		}
		args[d.shard] = append(args[d.shard], d.id)
	}
	var calls []scriptCall
	var from []int
	for n, a := range args {
		if a != nil {
			calls = append(calls, scriptCall{[]string{s.keys.outboxDue(n), s.keys.outboxMsg(n)}, a})
			from = append(from, n)
		}
	}
	cmds, err := runAll(ctx, s.rdb, takeScript, calls)
	if err != nil {
		return nil, fmt.Errorf("claim: %w", err)
	}
	got := map[string]*bot.Envelope{}
	for i, cmd := range cmds {
		vals, err := cmd.StringSlice()
		if err != nil {
			return nil, fmt.Errorf("claim in shard %d: %w", from[i], err)
		}
		for j := 0; j+1 < len(vals); j += 2 {
			e := new(bot.Envelope)
			if err := json.Unmarshal([]byte(vals[j+1]), e); err != nil {
				return nil, fmt.Errorf("decode message %s: %w", vals[j], err)
			}
			e.Shard, e.Claim = from[i], claim
			got[vals[j]] = e
		}
	}
	out := make([]*bot.Envelope, 0, len(got))
	for _, d := range dues { // oldest first
		if e := got[d.id]; e != nil {
			out = append(out, e)
		}
	}
	return out, nil
}

// claimName is the due time a claim gives the messages it takes: the end
// of the lease in unix ms less a random fraction of a millisecond that
// tells this claim from another ending in the same millisecond (less, so
// that the message is claimable again at the lease's end). Steps of
// 1/2048 ms are exact in a float64 until the year 4000.
func claimName(until time.Time) string {
	return strconv.FormatFloat(float64(until.UnixMilli())-float64(1+mrand.IntN(2047))/2048, 'f', -1, 64)
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

// deferScript stores a message and makes it due at a time, unless the
// claim it was handed out by is no longer its own: the lease ran out and
// another deliverer took it, or this is the same write sent again after
// it was done (go-redis resends after a read timeout) and another
// deliverer has claimed it since.
//
// KEYS[1] outbox due zset
// KEYS[2] outbox message hash
//
// ARGV[1] message id
// ARGV[2] the claim that handed it out ("": none, write anyway)
// ARGV[3] envelope JSON
// ARGV[4] due time, unix ms
//
// Returns 1 when written, 0 when the claim is no longer its own.
var deferScript = redis.NewScript(`
if ARGV[2] ~= '' and tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1])) ~= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('ZADD', KEYS[1], ARGV[4], ARGV[1])
return 1
`)

// parkScript moves a message to the parked ones, unless the claim it was
// handed out by is no longer its own (see deferScript).
//
// KEYS[1] outbox due zset
// KEYS[2] outbox message hash
// KEYS[3] parked hash
//
// ARGV[1] message id
// ARGV[2] the claim that handed it out ("": none, park anyway)
// ARGV[3] envelope JSON
//
// Returns 1 when parked, 0 when the claim is no longer its own.
var parkScript = redis.NewScript(`
if ARGV[2] ~= '' and tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1])) ~= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 1
`)

// Defer stores e and makes it due at at. When another claim has taken e
// since the one that handed it out (its lease ran out), it does nothing:
// e is the other deliverer's now. Round trips: 1 (EVALSHA).
func (s *Store) Defer(ctx context.Context, e *bot.Envelope, at time.Time) error {
	if err := checkShard(e); err != nil {
		return fmt.Errorf("defer: %w", err)
	}
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("defer %s: %w", e.ID, err)
	}
	keys := []string{s.keys.outboxDue(e.Shard), s.keys.outboxMsg(e.Shard)}
	if err := deferScript.Run(ctx, s.rdb, keys, e.ID, e.Claim, b, at.UnixMilli()).Err(); err != nil {
		return fmt.Errorf("defer %s: %w", e.ID, err)
	}
	return nil
}

// Park moves e out of the outbox into the parked messages, with its
// reason in e.Err; like Defer, not when another claim has taken e since.
// Round trips: 1 (EVALSHA).
func (s *Store) Park(ctx context.Context, e *bot.Envelope) error {
	if err := checkShard(e); err != nil {
		return fmt.Errorf("park: %w", err)
	}
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("park %s: %w", e.ID, err)
	}
	keys := []string{s.keys.outboxDue(e.Shard), s.keys.outboxMsg(e.Shard), s.keys.outboxParked(e.Shard)}
	if err := parkScript.Run(ctx, s.rdb, keys, e.ID, e.Claim, b).Err(); err != nil {
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
