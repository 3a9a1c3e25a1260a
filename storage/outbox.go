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
//
// A take whose answer was lost (Redis ran it, then hung or cut the
// connection) may have hidden its messages under its claim; the next Claim
// on this store takes them again under that claim, while its lease lasts,
// before looking further (one round trip more), rather than leaving them
// hidden until the lease ends.
func (s *Store) Claim(ctx context.Context, now time.Time, lease time.Duration, max int) ([]*bot.Envelope, error) {
	if max <= 0 {
		return nil, nil
	}
	if envs, err := s.retake(ctx, now); err != nil || len(envs) > 0 {
		return envs, err
	}
	dues, err := s.due(ctx, now, max)
	if err != nil || len(dues) == 0 {
		return nil, err
	}
	claim := claimName(now.Add(lease))
	envs, err := s.take(ctx, now, claim, dues)
	if err != nil {
		s.mu.Lock()
		s.lostTake = &lostTake{claim: claim, until: now.Add(lease), dues: dues}
		s.mu.Unlock()
	}
	return envs, err
}

// lostTake is a take whose answer was lost.
type lostTake struct {
	claim string
	until time.Time
	dues  []due
}

// retake takes again the messages of a take whose answer was lost, under
// its claim, while its lease lasts: those it hid, and those still due.
func (s *Store) retake(ctx context.Context, now time.Time) ([]*bot.Envelope, error) {
	s.mu.Lock()
	lt := s.lostTake
	s.lostTake = nil
	s.mu.Unlock()
	if lt == nil || !now.Before(lt.until) {
		return nil, nil
	}
	envs, err := s.take(ctx, now, lt.claim, lt.dues)
	if err != nil {
		s.mu.Lock()
		if s.lostTake == nil {
			s.lostTake = lt
		}
		s.mu.Unlock()
	}
	return envs, err
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
// KEYS[4 ..] parked-by-address indexes, one per address of the message
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
for i = 4, #KEYS do redis.call('SADD', KEYS[i], ARGV[1]) end
return 1
`)

// parkedToKeys are the parked-by-address indexes of e's addresses.
func (s *Store) parkedToKeys(e *bot.Envelope) []string {
	var keys []string
	for _, a := range e.To {
		if !strings.HasPrefix(a, "person:") {
			keys = append(keys, s.keys.outboxParkedTo(e.Shard, a))
		}
	}
	return keys
}

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
	keys := append([]string{s.keys.outboxDue(e.Shard), s.keys.outboxMsg(e.Shard), s.keys.outboxParked(e.Shard)}, s.parkedToKeys(e)...)
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
		e.Shard = n
		ok, err := s.unpark(ctx, e, now)
		if err != nil {
			return fmt.Errorf("unpark %s: %w", id, err)
		}
		if ok {
			return nil
		}
	}
	return fmt.Errorf("unpark %s: %w", id, bot.ErrNotFound)
}

// unpark makes the parked message e (as read from its shard's parked
// hash) due at now with its attempts, error and address index reset, and
// drops it from the parked-by-address indexes; ok is false when it was
// not parked any more. Round trips: 1 (EVALSHA).
func (s *Store) unpark(ctx context.Context, e *bot.Envelope, now time.Time) (ok bool, err error) {
	e.Attempts, e.Next, e.Err = 0, 0, ""
	b, err := json.Marshal(e)
	if err != nil {
		return false, err
	}
	keys := append([]string{s.keys.outboxDue(e.Shard), s.keys.outboxMsg(e.Shard), s.keys.outboxParked(e.Shard)}, s.parkedToKeys(e)...)
	n, err := unparkScript.Run(ctx, s.rdb, keys, e.ID, string(b), now.UnixMilli()).Int()
	return n == 1, err
}

// UnparkTo makes every parked message for address due at now, oldest
// first, as Unpark does one: the person is there again (they wrote from
// it), and may be reached there now. It returns how many it made due; a
// message another call made due meanwhile is not counted. Round trips: 1
// when none is parked for address (a pipeline of SMEMBERS, one per shard);
// else 2 more (a pipeline of HMGET of the parked hashes, then one of
// EVALSHA, one per message).
func (s *Store) UnparkTo(ctx context.Context, address string, now time.Time) (int, error) {
	pipe := s.rdb.Pipeline()
	idx := make([]*redis.StringSliceCmd, shards)
	for n := range shards {
		idx[n] = pipe.SMembers(ctx, s.keys.outboxParkedTo(n, address))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, fmt.Errorf("parked for %s: %w", address, err)
	}
	pipe = s.rdb.Pipeline()
	got := make([]*redis.SliceCmd, shards)
	for n, c := range idx {
		if ids := c.Val(); len(ids) > 0 {
			got[n] = pipe.HMGet(ctx, s.keys.outboxParked(n), ids...)
		}
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return 0, fmt.Errorf("parked for %s: %w", address, err)
	}
	var envs []*bot.Envelope
	for n, c := range got {
		if c == nil {
			continue
		}
		for i, v := range c.Val() {
			str, ok := v.(string)
			if !ok {
				// Unparked by another since (its index entry goes with it),
				// or an entry left by a write cut short: drop it.
				_ = s.rdb.SRem(ctx, s.keys.outboxParkedTo(n, address), idx[n].Val()[i]).Err()
				continue
			}
			e := new(bot.Envelope)
			if err := json.Unmarshal([]byte(str), e); err != nil {
				return 0, fmt.Errorf("decode parked message in shard %d: %w", n, err)
			}
			e.Shard = n
			envs = append(envs, e)
		}
	}
	slices.SortFunc(envs, func(a, b *bot.Envelope) int {
		return cmp.Or(a.Queued.Compare(b.Queued), strings.Compare(a.ID, b.ID))
	})
	done := 0
	for _, e := range envs {
		ok, err := s.unpark(ctx, e, now)
		if err != nil {
			return done, fmt.Errorf("unpark %s: %w", e.ID, err)
		}
		if ok {
			done++
		}
	}
	return done, nil
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
