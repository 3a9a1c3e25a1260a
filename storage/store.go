package storage

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sangkien/sangkien/bot"
)

// How long the store keeps its markers.
const (
	claimTTL  = 48 * time.Hour      // an inbound update's dedupe claim, once handled
	markerTTL = 90 * 24 * time.Hour // a Message.Key marker
)

// markerExpiry is when a Message.Key marker set now expires. It reads the
// wall clock, not the store's clock: Redis expires keys by the wall clock.
// Passed to the scripts as an absolute time, it expires a replayed marker
// when the original would have expired.
func markerExpiry() int64 { return time.Now().Add(markerTTL).UnixMilli() }

// Store keeps the engine's state in Redis. It implements bot.Store and
// bot.Outbox on any go-redis client: a single server, a cluster, or the
// embedded store.
type Store struct {
	rdb   redis.UniversalClient
	keys  keyspace
	clock bot.Clock

	mu       sync.Mutex
	lostTake *lostTake // an outbox take whose answer was lost (Claim)
}

var (
	_ bot.Store  = (*Store)(nil)
	_ bot.Outbox = (*Store)(nil)
)

// Option configures a Store.
type Option func(*Store)

// WithPrefix puts every key under prefix instead of "sk", so that several
// deployments can share one Redis.
func WithPrefix(prefix string) Option {
	return func(s *Store) { s.keys.prefix = prefix }
}

// WithClock sets the clock that stamps messages when they are enqueued
// (Envelope.Queued, and when they are first due).
func WithClock(c bot.Clock) Option {
	return func(s *Store) { s.clock = c }
}

// New returns a store on rdb. The store owns rdb from then on: Close
// closes it.
func New(rdb redis.UniversalClient, opts ...Option) *Store {
	s := &Store{rdb: rdb, keys: keyspace{prefix: "sk"}, clock: bot.SystemClock{}}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Client is the Redis client the store uses, for subcommands that need
// more than the store offers.
func (s *Store) Client() redis.UniversalClient { return s.rdb }

// Ping checks that Redis answers (readiness).
func (s *Store) Ping(ctx context.Context) error {
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("ping redis: %w", err)
	}
	return nil
}

// Close closes the Redis client.
func (s *Store) Close() error {
	if err := s.rdb.Close(); err != nil && !errors.Is(err, redis.ErrClosed) {
		return fmt.Errorf("close redis: %w", err)
	}
	return nil
}

// Load claims req.Dedupe for req.Person (a token, held for bot.ClaimHold), reads
// the session and the records, and counts and reads what req.Count and
// req.Throttle name (limits.go). Round trips: 1 (a pipeline of SET NX GET
// PXAT, HGETALL, one GET per record, and INCR with PEXPIREAT, HMGET). When it fails after making the
// claim, it drops the claim again (one more round trip), so that a
// redelivery is handled.
func (s *Store) Load(ctx context.Context, req bot.LoadRequest) (*bot.Loaded, error) {
	pipe := s.rdb.Pipeline()
	var claim *redis.Cmd
	var token string
	if req.Dedupe != "" {
		// PX: the hold runs on Redis's clock, whatever this machine's says
		// (the embedded store's log turns it into PXAT for its replay).
		token = NewLeaseOwner()[:16]
		claim = pipe.Do(ctx, "SET", s.keys.seen(req.Person, req.Dedupe), token, "NX", "GET",
			"PX", bot.ClaimHold.Milliseconds())
	}
	var sess *redis.MapStringStringCmd
	if req.Person != "" {
		sess = pipe.HGetAll(ctx, s.keys.session(req.Person))
	}
	gets := make([]*redis.StringCmd, len(req.Proposals))
	for i, id := range req.Proposals {
		gets[i] = pipe.Get(ctx, s.keys.record(id))
	}
	count, throttle := s.pipeLimits(ctx, pipe, req)
	if pipe.Len() > 0 {
		_, _ = pipe.Exec(ctx) // errors are read per command below
	}

	out, err := s.loaded(req, claim, token, sess, gets)
	if err == nil {
		err = readLimits(out, count, throttle)
	}
	if err == nil && claim != nil && !out.Duplicate {
		out.Claim = token
	}
	if err != nil {
		if claim != nil { // perhaps claimed by this call, even when its reply was lost: Release checks the token
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), bot.ReleaseTimeout)
			_ = s.Release(rctx, req.Person, req.Dedupe, token)
			cancel()
		}
		return nil, fmt.Errorf("load %s: %w", req.Person, err)
	}
	return out, nil
}

func (s *Store) loaded(req bot.LoadRequest, claim *redis.Cmd, token string, sess *redis.MapStringStringCmd, gets []*redis.StringCmd) (*bot.Loaded, error) {
	out := &bot.Loaded{Session: &bot.Session{Person: req.Person}}
	if claim != nil {
		// SET NX GET answers the value before: none when this call claimed,
		// "1" when handled, another Load's token while in hand, and this
		// call's own token when the command ran twice (go-redis sends it
		// again after a read timeout, and Redis, hung rather than dead, may
		// run both): the claim is then this call's all the same.
		prev, err := claim.Text()
		switch {
		case errors.Is(err, redis.Nil), err == nil && prev == token:
		case err != nil:
			return nil, fmt.Errorf("claim %s: %w", req.Dedupe, err)
		default:
			out.Duplicate, out.InHand = true, prev != claimDone
		}
	}
	if sess != nil {
		h, err := sess.Result()
		if err != nil {
			return nil, fmt.Errorf("read session: %w", err)
		}
		if err := decodeSession(out.Session, h); err != nil {
			return nil, err
		}
	}
	out.Proposals = make([]*bot.Proposal, len(gets))
	for i, g := range gets {
		p, err := decodeRecord(req.Proposals[i], g)
		if err != nil {
			return nil, err
		}
		out.Proposals[i] = p
	}
	return out, nil
}

// claimDone is the value of a claim on an inbound update once handled (its
// session write was made); before, it is the token of the Load that took
// it.
const claimDone = "1"

// releaseScript drops a claim only while it is still the one token names:
// a claim that ran out and was taken again, or was completed, stays.
//
// KEYS[1] claim
// ARGV[1] token
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

// Release drops person's claim on an update while it is still the one Load
// took (claim: Loaded.Claim). Round trips: 1 (EVALSHA).
func (s *Store) Release(ctx context.Context, person, dedupe, claim string) error {
	if err := releaseScript.Run(ctx, s.rdb, []string{s.keys.seen(person, dedupe)}, claim).Err(); err != nil {
		return fmt.Errorf("release %s: %w", dedupe, err)
	}
	return nil
}

// Session hash fields.
const (
	fieldLang   = "lang"
	fieldUnit   = "unit"
	fieldLast   = "last"
	fieldDialog = "dialog"
	// fieldPending is the commit a session write made beside it (in the
	// same round trip, not the same atomic write): bot.Session.Pending.
	fieldPending = "pending"
)

func decodeSession(s *bot.Session, h map[string]string) error {
	s.Lang, s.Unit, s.Last = h[fieldLang], h[fieldUnit], h[fieldLast]
	if d := h[fieldDialog]; d != "" {
		s.Dialog = new(bot.Dialog)
		if err := json.Unmarshal([]byte(d), s.Dialog); err != nil {
			return fmt.Errorf("decode dialog of %s: %w", s.Person, err)
		}
	}
	if p := h[fieldPending]; p != "" {
		s.Pending = new(bot.Pending)
		if err := json.Unmarshal([]byte(p), s.Pending); err != nil {
			return fmt.Errorf("decode pending commit of %s: %w", s.Person, err)
		}
	}
	return nil
}

// jsonOrEmpty is v in JSON, or "" when v is nil.
func jsonOrEmpty[T any](v *T) (string, error) {
	if v == nil {
		return "", nil
	}
	b, err := json.Marshal(v)
	return string(b), err
}

// SaveSession writes the session and enqueues msgs in the person's shard,
// atomically. Round trips: 1 (EVALSHA; a second, EVAL, only when the
// server lacks the script).
func (s *Store) SaveSession(ctx context.Context, sess *bot.Session, msgs []bot.Message) error {
	call, err := s.sessionCall(sess, msgs)
	if err != nil {
		return err
	}
	if err := sessionScript.Run(ctx, s.rdb, call.keys, call.args...).Err(); err != nil {
		return fmt.Errorf("save session of %s: %w", sess.Person, err)
	}
	return nil
}

// sessionCall builds the sessionScript call that writes sess and enqueues
// msgs in the person's shard.
func (s *Store) sessionCall(sess *bot.Session, msgs []bot.Message) (scriptCall, error) {
	if sess == nil || sess.Person == "" {
		return scriptCall{}, fmt.Errorf("save session: no person")
	}
	dialog, err := jsonOrEmpty(sess.Dialog)
	if err != nil {
		return scriptCall{}, fmt.Errorf("save session of %s: %w", sess.Person, err)
	}
	pending, err := jsonOrEmpty(sess.Pending)
	if err != nil {
		return scriptCall{}, fmt.Errorf("save session of %s: %w", sess.Person, err)
	}
	shard := shardOf(sess.Person)
	keys := []string{s.keys.session(sess.Person), s.keys.outboxDue(shard), s.keys.outboxMsg(shard)}
	args := []any{s.clock.Now().UnixMilli(), markerExpiry(), sess.Lang, sess.Unit, sess.Last, dialog, pending, len(msgs), "", 0}
	if sess.Update != "" {
		keys = append(keys, s.keys.seen(sess.Person, sess.Update))
		args[8], args[9] = claimDone, time.Now().Add(claimTTL).UnixMilli()
	}
	keys, args, err = s.appendMessages(keys, args, shard, msgs)
	if err != nil {
		return scriptCall{}, fmt.Errorf("save session of %s: %w", sess.Person, err)
	}
	return scriptCall{keys: keys, args: args}, nil
}

// appendMessages adds what enqueueLua reads for msgs to a script call: a
// marker key per keyed message, and id, envelope and marker index per
// message.
func (s *Store) appendMessages(keys []string, args []any, shard int, msgs []bot.Message) ([]string, []any, error) {
	now := s.clock.Now()
	for _, m := range msgs {
		if m.ID == "" {
			return nil, nil, fmt.Errorf("message without id to %v", m.To)
		}
		b, err := json.Marshal(&bot.Envelope{Message: m, Queued: now, Shard: shard})
		if err != nil {
			return nil, nil, fmt.Errorf("encode message %s: %w", m.ID, err)
		}
		marker := 0
		if m.Key != "" {
			keys = append(keys, s.keys.msgKey(shard, m.Key))
			marker = len(keys) // Lua counts from 1
		}
		args = append(args, m.ID, string(b), marker)
	}
	return keys, args, nil
}

// Reserve allocates the next number of code in year and registers code in
// the unit and proposer indexes. Round trips: 1 (a pipeline of INCR and
// two SADD; not atomic: a failure after INCR leaves a gap in the numbers,
// never a duplicate).
func (s *Store) Reserve(ctx context.Context, code string, year int, proposer string) (int, error) {
	if code == "" {
		return 0, fmt.Errorf("reserve: no unit code")
	}
	pipe := s.rdb.Pipeline()
	n := pipe.Incr(ctx, s.keys.seq(code, year))
	pipe.SAdd(ctx, s.keys.units(), code)
	if proposer != "" {
		pipe.SAdd(ctx, s.keys.personUnits(proposer), code)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, fmt.Errorf("reserve %s-%d: %w", code, year, err)
	}
	return int(n.Val()), nil
}

// Commit applies one lifecycle step atomically in the unit's shard. A
// commit whose very step is already stored (same version and head: a
// retry after a lost reply) succeeds without writing again.
// Round trips: 1 (EVALSHA; a second, EVAL, only when the server lacks the
// script).
func (s *Store) Commit(ctx context.Context, c *bot.Commit) error {
	p := c.Proposal
	if p == nil || p.ID == "" || bot.CodeOf(p.ID) == "" {
		return fmt.Errorf("commit: no proposal id")
	}
	rec, err := encodeRecord(p)
	if err != nil {
		return fmt.Errorf("commit %s: %w", p.ID, err)
	}
	from := c.From
	if from == "" {
		from = bot.Draft
	}
	ev, err := encodeEvent(c.Event, from)
	if err != nil {
		return fmt.Errorf("commit %s: %w", p.ID, err)
	}
	code := bot.CodeOf(p.ID)
	shard := shardOf(code)
	kinds := make([]string, 0, len(c.Due))
	for k := range c.Due {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)

	keys := []string{
		s.keys.record(p.ID),
		s.keys.events(p.ID),
		s.keys.status(code, from),
		s.keys.status(code, p.Status),
		s.keys.byProposer(code, p.Proposer),
		s.keys.outboxDue(shard),
		s.keys.outboxMsg(shard),
		s.keys.escalated(code, from),
		s.keys.escalated(code, p.Status),
	}
	remove := "0"
	if from != bot.Draft {
		remove = "1"
	}
	args := []any{
		p.Version - 1, c.Event.PrevHash, string(rec), string(ev), p.ID, remove,
		p.Since.UnixMilli(), p.Created.UnixMilli(),
		s.clock.Now().UnixMilli(), markerExpiry(),
		len(kinds), len(c.Messages), p.Version, p.Head, p.Escalation,
	}
	for _, k := range kinds {
		keys = append(keys, s.keys.due(shard, k))
		at := ""
		if t := c.Due[k]; !t.IsZero() {
			at = strconv.FormatInt(t.UnixMilli(), 10)
		}
		args = append(args, at)
	}
	keys, args, err = s.appendMessages(keys, args, shard, c.Messages)
	if err != nil {
		return fmt.Errorf("commit %s: %w", p.ID, err)
	}
	var ok int
	if c.Session == nil {
		ok, err = commitScript.Run(ctx, s.rdb, keys, args...).Int()
	} else {
		// The session goes in the same round trip; it is its own atomic
		// write, in the person's shard, made whatever the commit's outcome
		// (so it names the commit as pending: bot.Session.Pending). It goes
		// first: on one server a pipeline cut short (Redis killed, a
		// connection dropped mid-write) loses its end, so a stored commit
		// has its session stored too (on a cluster each node has its own
		// connection, and no order holds). docs/RELIABILITY.md.
		sc, serr := s.sessionCall(c.Session, nil)
		if serr != nil {
			return serr
		}
		var cmds []*redis.Cmd
		cmds, err = runEach(ctx, s.rdb, []boundCall{{sessionScript, sc}, {commitScript, scriptCall{keys, args}}})
		if err == nil {
			ok, err = cmds[1].Int()
		}
	}
	if err != nil {
		return fmt.Errorf("commit %s: %w", p.ID, err)
	}
	if ok == 0 {
		return fmt.Errorf("commit %s version %d: %w", p.ID, p.Version, bot.ErrConflict)
	}
	return nil
}

// Proposals reads records; a missing one is nil. Round trips: 1 (a
// pipeline of one MGET per shard and up to mgetKeys ids: the records of a
// shard share its hash slot, and Redis reads many keys in one command far
// more cheaply than in as many GETs, which is what a job over thousands of
// pilots costs).
func (s *Store) Proposals(ctx context.Context, ids []string) ([]*bot.Proposal, error) {
	out := make([]*bot.Proposal, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var byShard [shards][]int // indexes into ids
	for i, id := range ids {
		n := shardOf(bot.CodeOf(id))
		byShard[n] = append(byShard[n], i)
	}
	type batch struct {
		at  []int
		cmd *redis.SliceCmd
	}
	var batches []batch
	pipe := s.rdb.Pipeline()
	for _, at := range byShard {
		for chunk := range slices.Chunk(at, mgetKeys) {
			keys := make([]string, len(chunk))
			for j, i := range chunk {
				keys[j] = s.keys.record(ids[i])
			}
			batches = append(batches, batch{chunk, pipe.MGet(ctx, keys...)})
		}
	}
	_, _ = pipe.Exec(ctx)
	for _, b := range batches {
		vals, err := b.cmd.Result()
		if err != nil {
			return nil, fmt.Errorf("load proposals: %w", err)
		}
		for j, v := range vals {
			id := ids[b.at[j]]
			str, ok := v.(string)
			if !ok {
				continue // nil: no such record
			}
			p, err := decodeRecordJSON([]byte(str))
			if err != nil {
				return nil, fmt.Errorf("decode proposal %s: %w", id, err)
			}
			out[b.at[j]] = p
		}
	}
	return out, nil
}

// mgetKeys bounds the keys of one MGET, so that no one command holds
// Redis long.
const mgetKeys = 256

// decodeRecord returns the record read by g, or nil when there is none.
func decodeRecord(id string, g *redis.StringCmd) (*bot.Proposal, error) {
	b, err := g.Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load proposal %s: %w", id, err)
	}
	p, err := decodeRecordJSON(b)
	if err != nil {
		return nil, fmt.Errorf("decode proposal %s: %w", id, err)
	}
	return p, nil
}

// Events reads a proposal's history; bot.ErrNotFound when it has none.
// Round trips: 1 (LRANGE).
func (s *Store) Events(ctx context.Context, id string) ([]bot.Event, error) {
	raw, err := s.rdb.LRange(ctx, s.keys.events(id), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("events of %s: %w", id, err)
	}
	if len(raw) == 0 {
		return nil, fmt.Errorf("events of %s: %w", id, bot.ErrNotFound)
	}
	out, err := decodeEvents(raw)
	if err != nil {
		return nil, fmt.Errorf("decode history of %s: %w", id, err)
	}
	return out, nil
}

// ByStatus lists code's proposals in statuses (every status when none is
// given), oldest in its status first. Round trips: 1 (a pipeline of
// ZRANGE WITHSCORES, one per status).
func (s *Store) ByStatus(ctx context.Context, code string, statuses ...bot.Status) ([]string, error) {
	if len(statuses) == 0 {
		statuses = bot.Statuses
	}
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.ZSliceCmd, len(statuses))
	for i, st := range statuses {
		cmds[i] = pipe.ZRangeWithScores(ctx, s.keys.status(code, st), 0, -1)
	}
	_, _ = pipe.Exec(ctx)
	ids, err := mergeByScore(cmds)
	if err != nil {
		return nil, fmt.Errorf("proposals of %s by status: %w", code, err)
	}
	return ids, nil
}

// InCharge lists the ids in statuses of the units own, and of the units
// below those escalated at least below[code] levels, each once, in no
// promised order (the caller sorts the records it reads). Round trips: 1 (a
// pipeline of ZRANGE per own unit and status, and ZRANGE BYSCORE per unit
// below and status: only escalated items are read from below, never a
// unit's whole status set).
func (s *Store) InCharge(ctx context.Context, own []string, below map[string]int, statuses ...bot.Status) ([]string, error) {
	pipe := s.rdb.Pipeline()
	var cmds []*redis.StringSliceCmd
	for _, code := range own {
		for _, st := range statuses {
			cmds = append(cmds, pipe.ZRange(ctx, s.keys.status(code, st), 0, -1))
		}
	}
	for _, code := range slices.Sorted(maps.Keys(below)) {
		for _, st := range statuses {
			cmds = append(cmds, pipe.ZRangeByScore(ctx, s.keys.escalated(code, st), &redis.ZRangeBy{Min: strconv.Itoa(below[code]), Max: "+inf"}))
		}
	}
	if len(cmds) == 0 {
		return nil, nil
	}
	_, _ = pipe.Exec(ctx)
	var ids []string
	seen := map[string]bool{}
	for _, c := range cmds {
		l, err := c.Result()
		if err != nil {
			return nil, fmt.Errorf("proposals in charge: %w", err)
		}
		for _, id := range l {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	return ids, nil
}

// ByProposer lists a person's proposals, oldest first. Round trips: 2
// (SMEMBERS of the person's units, then a pipeline of ZRANGE WITHSCORES,
// one per unit).
func (s *Store) ByProposer(ctx context.Context, person string) ([]string, error) {
	codes, err := s.rdb.SMembers(ctx, s.keys.personUnits(person)).Result()
	if err != nil {
		return nil, fmt.Errorf("proposals of %s: %w", person, err)
	}
	if len(codes) == 0 {
		return nil, nil
	}
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.ZSliceCmd, len(codes))
	for i, code := range codes {
		cmds[i] = pipe.ZRangeWithScores(ctx, s.keys.byProposer(code, person), 0, -1)
	}
	_, _ = pipe.Exec(ctx)
	ids, err := mergeByScore(cmds)
	if err != nil {
		return nil, fmt.Errorf("proposals of %s: %w", person, err)
	}
	return ids, nil
}

// AllProposals lists every proposal id, by unit code, then by year and
// number. Round trips: 2 (SMEMBERS of the units, then a pipeline of
// ZRANGE, one per unit and status). Meant for verify and export only.
func (s *Store) AllProposals(ctx context.Context) ([]string, error) {
	codes, err := s.rdb.SMembers(ctx, s.keys.units()).Result()
	if err != nil {
		return nil, fmt.Errorf("all proposals: %w", err)
	}
	slices.Sort(codes)
	pipe := s.rdb.Pipeline()
	cmds := make([][]*redis.StringSliceCmd, len(codes))
	for i, code := range codes {
		for _, st := range bot.Statuses {
			cmds[i] = append(cmds[i], pipe.ZRange(ctx, s.keys.status(code, st), 0, -1))
		}
	}
	if pipe.Len() > 0 {
		_, _ = pipe.Exec(ctx)
	}
	var out []string
	for i := range codes {
		var ids []string
		for _, c := range cmds[i] {
			v, err := c.Result()
			if err != nil {
				return nil, fmt.Errorf("all proposals of %s: %w", codes[i], err)
			}
			ids = append(ids, v...)
		}
		slices.SortFunc(ids, compareIDs)
		out = append(out, slices.Compact(ids)...)
	}
	return out, nil
}

// compareIDs orders proposal ids of one unit by year, then number.
func compareIDs(a, b string) int {
	ya, na := idParts(a)
	yb, nb := idParts(b)
	return cmp.Or(cmp.Compare(ya, yb), cmp.Compare(na, nb), strings.Compare(a, b))
}

// idParts returns the year and number of CODE-YYYY-NNN, or zeros.
func idParts(id string) (year, n int) {
	parts := strings.Split(id, "-")
	if len(parts) != 3 {
		return 0, 0
	}
	year, _ = strconv.Atoi(parts[1])
	n, _ = strconv.Atoi(parts[2])
	return year, n
}

// Due lists the ids whose due time of kind is at or before until, soonest
// first. Round trips: 1 (a pipeline of ZRANGEBYSCORE, one per shard).
func (s *Store) Due(ctx context.Context, kind string, until time.Time) ([]string, error) {
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.ZSliceCmd, shards)
	max := strconv.FormatInt(until.UnixMilli(), 10)
	for n := range shards {
		cmds[n] = pipe.ZRangeByScoreWithScores(ctx, s.keys.due(n, kind), &redis.ZRangeBy{Min: "-inf", Max: max})
	}
	_, _ = pipe.Exec(ctx)
	ids, err := mergeByScore(cmds)
	if err != nil {
		return nil, fmt.Errorf("due %s: %w", kind, err)
	}
	return ids, nil
}

// mergeByScore merges the members of sorted sets read by cmds, by score,
// then member, each member once.
func mergeByScore(cmds []*redis.ZSliceCmd) ([]string, error) {
	var all []redis.Z
	for _, c := range cmds {
		zs, err := c.Result()
		if err != nil {
			return nil, err
		}
		all = append(all, zs...)
	}
	slices.SortFunc(all, func(a, b redis.Z) int {
		return cmp.Or(cmp.Compare(a.Score, b.Score), strings.Compare(a.Member.(string), b.Member.(string)))
	})
	out := make([]string, 0, len(all))
	seen := make(map[string]bool, len(all))
	for _, z := range all {
		id := z.Member.(string)
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out, nil
}

// Contact returns the address the person last wrote from and the language
// they chose, each "" when unknown. Round trips: 1 (HMGET).
func (s *Store) Contact(ctx context.Context, person string) (last, lang string, err error) {
	v, err := s.rdb.HMGet(ctx, s.keys.session(person), fieldLast, fieldLang).Result()
	if err != nil {
		return "", "", fmt.Errorf("contact of %s: %w", person, err)
	}
	last, _ = v[0].(string)
	lang, _ = v[1].(string)
	return last, lang, nil
}
