package storage

import (
	"context"

	"github.com/redis/go-redis/v9"
)

// The Lua scripts of the store. Each touches the keys of one shard only and
// reads no clock (times come in ARGV), so a replay of the same call gives
// the same result.

// enqueueLua defines enqueue, shared by the scripts that put messages into
// an outbox. Starting at ARGV[base], each of the n messages is three
// arguments: its id, its envelope JSON, and the KEYS index of its
// Message.Key marker (0: none). A message whose marker already exists is
// skipped; otherwise the marker is set to expire at expiry (unix ms) and
// the message becomes due at at (unix ms).
const enqueueLua = `
local function enqueue(kdue, kmsg, at, expiry, base, n)
  local added = {}
  for i = 0, n - 1 do
    local j = base + 3 * i
    local id, env, mk = ARGV[j], ARGV[j + 1], tonumber(ARGV[j + 2])
    if mk == 0 or redis.call('SET', KEYS[mk], id, 'NX', 'PXAT', expiry) then
      redis.call('HSET', kmsg, id, env)
      redis.call('ZADD', kdue, at, id)
      table.insert(added, id)
    end
  end
  return added
end
`

// commitScript applies one lifecycle step, or nothing when the stored
// record moved on.
//
// KEYS[1] record
// KEYS[2] events list
// KEYS[3] status index of the status before (c.From)
// KEYS[4] status index of the status after
// KEYS[5] proposer index
// KEYS[6] outbox due zset of the unit's shard
// KEYS[7] outbox message hash of the unit's shard
// KEYS[8] escalated index of the status before
// KEYS[9] escalated index of the status after
// KEYS[10 .. 9+nd] due zsets, one per kind in c.Due
// KEYS[10+nd ..] Message.Key markers
//
// ARGV[1] expected version of the stored record (0: it must not exist)
// ARGV[2] expected head of the stored record
// ARGV[3] new record JSON
// ARGV[4] event JSON
// ARGV[5] proposal id
// ARGV[6] "1": remove the id from KEYS[3]
// ARGV[7] Since, unix ms (score in KEYS[4])
// ARGV[8] Created, unix ms (score in KEYS[5])
// ARGV[9] now, unix ms (when the messages are due)
// ARGV[10] when markers expire, unix ms
// ARGV[11] nd, number of due kinds
// ARGV[12] nm, number of messages
// ARGV[13] version of the new record
// ARGV[14] head of the new record
// ARGV[15] escalation levels of the new record (0: not escalated)
// ARGV[16 .. 15+nd] due time per KEYS[10..], unix ms; "" removes the id
// ARGV[16+nd ..] messages, three arguments each (see enqueueLua)
//
// Returns 1 when applied, 2 when this very step (same version and head) is
// already stored, as when a reply was lost and the call is retried, and 0
// on a conflict. 2 and 0 write nothing.
var commitScript = redis.NewScript(enqueueLua + `
local cur = redis.call('GET', KEYS[1])
local want = tonumber(ARGV[1])
if cur then
  local rec = cjson.decode(cur)
  local v = tonumber(rec['version'])
  if v == tonumber(ARGV[13]) and rec['head'] == ARGV[14] then return 2 end
  if want == 0 or v ~= want or rec['head'] ~= ARGV[2] then return 0 end
elseif want ~= 0 then
  return 0
end
local id = ARGV[5]
redis.call('SET', KEYS[1], ARGV[3])
redis.call('RPUSH', KEYS[2], ARGV[4])
if ARGV[6] == '1' then redis.call('ZREM', KEYS[3], id) end
redis.call('ZADD', KEYS[4], ARGV[7], id)
redis.call('ZADD', KEYS[5], ARGV[8], id)
if ARGV[6] == '1' then redis.call('ZREM', KEYS[8], id) end
if tonumber(ARGV[15]) > 0 then
  redis.call('ZADD', KEYS[9], ARGV[15], id)
else
  redis.call('ZREM', KEYS[9], id)
end
local nd, nm = tonumber(ARGV[11]), tonumber(ARGV[12])
for i = 1, nd do
  local at = ARGV[15 + i]
  if at == '' then
    redis.call('ZREM', KEYS[9 + i], id)
  else
    redis.call('ZADD', KEYS[9 + i], at, id)
  end
end
enqueue(KEYS[6], KEYS[7], ARGV[9], ARGV[10], 16 + nd, nm)
return 1
`)

// sessionScript writes a session and enqueues messages in the person's
// shard.
//
// KEYS[1] session hash
// KEYS[2] outbox due zset
// KEYS[3] outbox message hash
// KEYS[4] (when ARGV[9] is set) the claim on the update this write completes
// KEYS[4 or 5 ..] Message.Key markers
//
// ARGV[1] now, unix ms (when the messages are due)
// ARGV[2] when markers expire, unix ms
// ARGV[3 .. 7] fields lang, unit, last, dialog, pending; "" deletes the field
// ARGV[8] number of messages
// ARGV[9] the claim's value once complete, or "" when there is no claim
// ARGV[10] when the completed claim expires, unix ms (wall clock)
// ARGV[11 ..] messages, three arguments each (see enqueueLua)
var sessionScript = redis.NewScript(enqueueLua + `
if ARGV[9] ~= '' then
  redis.call('SET', KEYS[4], ARGV[9], 'PXAT', ARGV[10])
end
local fields = {'lang', 'unit', 'last', 'dialog', 'pending'}
for i, f in ipairs(fields) do
  local v = ARGV[2 + i]
  if v == '' then
    redis.call('HDEL', KEYS[1], f)
  else
    redis.call('HSET', KEYS[1], f, v)
  end
end
enqueue(KEYS[2], KEYS[3], ARGV[1], ARGV[2], 11, tonumber(ARGV[8]))
return 1
`)

// enqueueScript enqueues messages in one shard's outbox and returns the
// ids of those it enqueued (a keyed message enqueued before is skipped).
//
// KEYS[1] outbox due zset
// KEYS[2] outbox message hash
// KEYS[3 ..] Message.Key markers
//
// ARGV[1] now, unix ms (when the messages are due)
// ARGV[2] when markers expire, unix ms
// ARGV[3] number of messages
// ARGV[4 ..] messages, three arguments each (see enqueueLua)
var enqueueScript = redis.NewScript(enqueueLua + `
return enqueue(KEYS[1], KEYS[2], ARGV[1], ARGV[2], 4, tonumber(ARGV[3]))
`)

// unparkScript moves a parked message back into the outbox.
//
// KEYS[1] outbox due zset
// KEYS[2] outbox message hash
// KEYS[3] parked hash
// KEYS[4 ..] parked-by-address indexes of its addresses
//
// ARGV[1] message id
// ARGV[2] envelope JSON to store
// ARGV[3] due time, unix ms
//
// Returns 1, or 0 when the message is not parked (any more).
var unparkScript = redis.NewScript(`
for i = 4, #KEYS do redis.call('SREM', KEYS[i], ARGV[1]) end
if redis.call('HDEL', KEYS[3], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
return 1
`)

// scriptCall is one call of a script in runAll.
type scriptCall struct {
	keys []string
	args []any
}

// runAll runs calls of one script in one pipeline (one round trip) and
// returns their results in order; see runEach.
func runAll(ctx context.Context, rdb redis.UniversalClient, sc *redis.Script, calls []scriptCall) ([]*redis.Cmd, error) {
	bound := make([]boundCall, len(calls))
	for i, c := range calls {
		bound[i] = boundCall{sc, c}
	}
	return runEach(ctx, rdb, bound)
}

// boundCall is a call of a given script.
type boundCall struct {
	sc *redis.Script
	scriptCall
}

// runEach runs script calls in one pipeline (one round trip) and returns
// their results in order. Calls whose EVALSHA found the script missing
// from the server's cache (first use, restart) are sent again with EVAL,
// which costs a second round trip only then. The pipeline is not atomic:
// each call is.
func runEach(ctx context.Context, rdb redis.UniversalClient, calls []boundCall) ([]*redis.Cmd, error) {
	cmds := make([]*redis.Cmd, len(calls))
	if len(calls) == 0 {
		return cmds, nil
	}
	pipe := rdb.Pipeline()
	for i, c := range calls {
		cmds[i] = c.sc.EvalSha(ctx, pipe, c.keys, c.args...)
	}
	_, _ = pipe.Exec(ctx) // errors are read per command below
	var retry []int
	for i, cmd := range cmds {
		if redis.HasErrorPrefix(cmd.Err(), "NOSCRIPT") {
			retry = append(retry, i)
		}
	}
	if len(retry) > 0 {
		pipe := rdb.Pipeline()
		for _, i := range retry {
			cmds[i] = calls[i].sc.Eval(ctx, pipe, calls[i].keys, calls[i].args...)
		}
		_, _ = pipe.Exec(ctx)
	}
	for _, cmd := range cmds {
		if err := cmd.Err(); err != nil {
			return cmds, err
		}
	}
	return cmds, nil
}
