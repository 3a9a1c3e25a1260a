package storage

import (
	"hash/crc32"
	"strconv"
	"time"

	"github.com/sangkien/sangkien/bot"
)

// shards is how many hash tags the key space is cut into. Every atomic
// write touches the keys of one shard only, so the same code runs on Redis
// Cluster, where a shard's keys share one slot.
const shards = 16

// shardOf is the shard of a unit code, a person id, a dedupe key or a
// message key.
func shardOf(s string) int { return int(crc32.ChecksumIEEE([]byte(s)) % shards) }

// keyspace builds every key the store uses, one method per key family, all
// under one prefix (default "sk"). N in {sN} is a shard (see shardOf).
type keyspace struct{ prefix string }

// tag is the start of every key of shard n: sk:{sN}:
func (k keyspace) tag(n int) string {
	return k.prefix + ":{s" + strconv.Itoa(n) + "}:"
}

// record is a proposal's current record, JSON of bot.Proposal, in the shard
// of its unit code: sk:{sN}:p:<ID>.
func (k keyspace) record(id string) string {
	return k.tag(shardOf(bot.CodeOf(id))) + "p:" + id
}

// events is a proposal's history, a list of JSON bot.Event, oldest first:
// sk:{sN}:p:<ID>:ev.
func (k keyspace) events(id string) string {
	return k.record(id) + ":ev"
}

// status indexes a unit's proposals in one status, a sorted set scored by
// Proposal.Since (unix ms): sk:{sN}:u:<CODE>:st:<status>.
func (k keyspace) status(code string, st bot.Status) string {
	return k.tag(shardOf(code)) + "u:" + code + ":st:" + string(st)
}

// escalated indexes a unit's proposals in one status that are escalated
// above it, a sorted set scored by Proposal.Escalation (the levels):
// sk:{sN}:u:<CODE>:esc:<status>. A leader of an ancestor reads only these
// from the units below their own.
func (k keyspace) escalated(code string, st bot.Status) string {
	return k.tag(shardOf(code)) + "u:" + code + ":esc:" + string(st)
}

// byProposer indexes a person's proposals in one unit, a sorted set scored
// by Proposal.Created (unix ms): sk:{sN}:u:<CODE>:by:<person>.
func (k keyspace) byProposer(code, person string) string {
	return k.tag(shardOf(code)) + "u:" + code + ":by:" + person
}

// seq is a unit's proposal counter for one year: sk:{sN}:u:<CODE>:seq:<year>.
func (k keyspace) seq(code string, year int) string {
	return k.tag(shardOf(code)) + "u:" + code + ":seq:" + strconv.Itoa(year)
}

// due holds one shard's proposals by due time of one kind (bot.Due*), a
// sorted set scored by the due time (unix ms): sk:{sN}:due:<kind>.
func (k keyspace) due(shard int, kind string) string {
	return k.tag(shard) + "due:" + kind
}

// units is the set of unit codes that have proposals: sk:units. It has no
// hash tag and is never part of a multi-key atomic write.
func (k keyspace) units() string {
	return k.prefix + ":units"
}

// layout is the version of the key layout the data was last upgraded to,
// a decimal string (upgrade.go): sk:layout.
func (k keyspace) layout() string { return k.prefix + ":layout" }

// session is a person's conversation state, a hash with the fields lang,
// unit, last, dialog (JSON) and pending (JSON, bot.Session.Pending):
// sk:{sN}:person:<id>.
func (k keyspace) session(person string) string {
	return k.tag(shardOf(person)) + "person:" + person
}

// personUnits is the set of unit codes a person filed proposals in:
// sk:{sN}:person:<id>:units.
func (k keyspace) personUnits(person string) string {
	return k.session(person) + ":units"
}

// counter is one of a person's counters, a decimal string (the inbound
// rate limit's count in one window): sk:{sN}:person:<id>:n:<name>.
func (k keyspace) counter(person, name string) string {
	return k.session(person) + ":n:" + name
}

// throttle is a person's record of failed attempts at one thing, a hash
// with the fields n (failures) and until (unix ms the next must wait for):
// sk:{sN}:person:<id>:throttle:<name>.
func (k keyspace) throttle(person, name string) string {
	return k.session(person) + ":throttle:" + name
}

// seen is person's claim on an inbound update, in the person's shard so
// that the session write completing the handling completes the claim in
// the same script: the claiming Load's token while in hand
// (bot.ClaimHold), then "1" for 48 hours: sk:{sN}:seen:<dedupe> (N: shard
// of the person).
func (k keyspace) seen(person, dedupe string) string {
	return k.tag(shardOf(person)) + "seen:" + dedupe
}

// outboxDue orders one shard's outgoing messages by when they are due, a
// sorted set of message ids scored in unix ms: sk:{sN}:ob:due.
func (k keyspace) outboxDue(shard int) string {
	return k.tag(shard) + "ob:due"
}

// outboxMsg holds one shard's waiting messages, a hash of message id to
// JSON bot.Envelope: sk:{sN}:ob:msg.
func (k keyspace) outboxMsg(shard int) string {
	return k.tag(shard) + "ob:msg"
}

// outboxParked holds one shard's parked messages, a hash of message id to
// JSON bot.Envelope: sk:{sN}:ob:parked.
func (k keyspace) outboxParked(shard int) string {
	return k.tag(shard) + "ob:parked"
}

// msgKey marks a Message.Key as enqueued in a shard, kept 90 days:
// sk:{sN}:mkey:<key>.
func (k keyspace) msgKey(shard int, key string) string {
	return k.tag(shard) + "mkey:" + key
}

// run is the claim on one firing of a job, a string holding the claiming
// run's token while it runs and "done" after: sk:{sN}:run:<job>:<unix ms>
// (N: shard of the job name and firing).
func (k keyspace) run(job string, firing time.Time) string {
	id := job + ":" + strconv.FormatInt(firing.UnixMilli(), 10)
	return k.tag(shardOf(id)) + "run:" + id
}

// week holds a unit's proposal counts by status at the digest of one ISO
// week, a hash of status to count: sk:{sN}:u:<CODE>:week:<YYYY-Www>.
func (k keyspace) week(code, week string) string {
	return k.tag(shardOf(code)) + "u:" + code + ":week:" + week
}

// lease is the holder of a named lease, a string whose value is the
// owner's token and whose expiry is the end of the lease: sk:{lease:<name>}.
func (k keyspace) lease(name string) string {
	return k.prefix + ":{lease:" + name + "}"
}

// offset is a poller's next update offset, a decimal string:
// sk:{offset:<name>}.
func (k keyspace) offset(name string) string {
	return k.prefix + ":{offset:" + name + "}"
}

// rate is the sliding-window log of one rate limit within scope, a sorted
// set of sends scored by when they were counted (unix ms):
// sk:{rate:<scope>}:<key>. Every window of one scope shares a hash slot,
// so that one script counts a send under all of them.
func (k keyspace) rate(scope, key string) string {
	return k.prefix + ":{rate:" + scope + "}:" + key
}

// outboxParkedTo indexes one shard's parked messages by an address they
// were for (each of Envelope.To), a set of message ids:
// sk:{sN}:ob:parked:to:<address>. The person who writes from that address
// again has them sent again (UnparkTo) without a scan.
func (k keyspace) outboxParkedTo(shard int, address string) string {
	return k.tag(shard) + "ob:parked:to:" + address
}

// tokens is a token pair, a hash with the fields access, refresh, expires
// (the access token's end, unix ms; 0: unknown, refresh at once) and
// refused (why Zalo refused the refresh token, when it did):
// sk:{tokens:<name>}. One key, one slot.
func (k keyspace) tokens(name string) string {
	return k.prefix + ":{tokens:" + name + "}"
}

// signingKey holds the bot's Ed25519 key, the 32-byte seed in base64, when
// no SANGKIEN_SIGNING_KEY file names one: sk:signing-key. It has no hash
// tag and is written once (SET NX).
func (k keyspace) signingKey() string {
	return k.prefix + ":signing-key"
}

// webLogin is a one-time sign-in link: sk:web:login:<sha256 of token>.
func (k keyspace) webLogin(token string) string {
	return k.prefix + ":web:login:" + secretHash(token)
}

// webSession is a signed-in browser: sk:web:session:<sha256 of id>.
func (k keyspace) webSession(id string) string {
	return k.prefix + ":web:session:" + secretHash(id)
}
