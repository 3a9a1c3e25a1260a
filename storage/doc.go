// Package storage keeps the engine's state in Redis: proposals and their
// events, the indexes the commands and schedules read, people's sessions,
// the outbox of messages, and the dedupe claims on inbound updates; and
// for the platform adapters, a poller's lease and offset and a shared rate
// limiter. Store implements bot.Store and bot.Outbox on any go-redis
// client. When no Redis is configured it runs, the very same code, on
// storage/embedded: an in-process server made durable by an append-only
// file.
//
// # Shards and atomic writes
//
// Keys are spread over 16 shards, each with its own hash tag {sN}, where
// N = crc32(s) % 16 of a unit code (for proposal and unit keys), of a
// person id (for that person's keys), or of the key itself. Every atomic
// write — a Lua script or a MULTI/EXEC — touches the keys of one shard
// only, so the code runs unchanged on Redis Cluster. A Commit writes the
// record, its event, the indexes, the due times and the messages it
// causes in the unit's shard, each shard having its own outbox; a
// SaveSession writes the session and its messages in the person's shard.
// Scripts read no clock: every time comes in as an argument, so a replay
// of the same call does the same.
//
// # Key families
//
// With the default prefix "sk" (see WithPrefix):
//
//	sk:{sN}:p:<ID>                  record, JSON of bot.Proposal with its own times in unix ms (record.go; N: shard of the unit code)
//	sk:{sN}:p:<ID>:ev               events, list of short JSON (events.go), oldest first
//	sk:{sN}:u:<CODE>:st:<status>    ids by status, zset scored by Proposal.Since (unix ms)
//	sk:{sN}:u:<CODE>:esc:<status>   ids escalated above the unit, zset scored by Proposal.Escalation
//	sk:{sN}:u:<CODE>:by:<person>    ids by proposer, zset scored by Proposal.Created
//	sk:{sN}:u:<CODE>:seq:<year>     proposal number counter
//	sk:{sN}:due:<kind>              ids by due time of a schedule kind (bot.Due*)
//	sk:units                        set of unit codes with proposals (no hash tag; never in an atomic write)
//	sk:layout                       the key layout version the data was upgraded to (upgrade.go)
//	sk:{sN}:person:<id>             session hash: lang, unit, last, dialog, pending (N: shard of the person)
//	sk:{sN}:person:<id>:units       set of unit codes the person filed in
//	sk:{sN}:person:<id>:n:<name>    a person's counter: inbound updates in one window of the rate limit (limits.go)
//	sk:{sN}:person:<id>:throttle:<name> a person's failed attempts (wrong join codes): hash n, until (limits.go)
//	sk:{sN}:seen:<dedupe>           claim on an inbound update: a token while in hand (20 s), "1" handled (48 hours) (N: shard of the person)
//	sk:{sN}:ob:due                  outbox: message ids by due time (unix ms)
//	sk:{sN}:ob:msg                  outbox: message id → JSON bot.Envelope
//	sk:{sN}:ob:parked               outbox: parked message id → JSON bot.Envelope
//	sk:{sN}:ob:parked:to:<address>  outbox: ids of parked messages for an address, so a person who writes again gets them (UnparkTo)
//	sk:{sN}:mkey:<key>              Message.Key already enqueued in this shard, 90 days
//	sk:{sN}:run:<job>:<unix ms>     claim of one scheduled firing (jobs.go)
//	sk:{sN}:u:<CODE>:week:<YYYY-Www> a unit's counts by status that week, for the digest chart
//	sk:{lease:<name>}               a lease with an owner token (the Telegram poller)
//	sk:{offset:<name>}              a platform's polling offset
//	sk:{rate:<scope>}:<key>         sliding-window rate limit log of one window of a scope (a bot, a Slack team)
//	sk:{tokens:<name>}              a rotating token pair: access, refresh, expires, refused (Zalo's OA tokens)
//	sk:web:login:<sha256 of token>  a one-time web sign-in link (10 minutes; taken once by GETDEL)
//	sk:web:session:<sha256 of id>   a signed-in browser of the web register (12 hours)
//	sk:signing-key                  the bot's Ed25519 seed (base64) when no SANGKIEN_SIGNING_KEY file names one (no hash tag; never in an atomic write)
//
// keys.go has one function per family and builds every key; keys_test.go
// holds this table, those functions and their comments to one another.
// No code path uses KEYS or SCAN: AllProposals, for verify and export,
// reads sk:units and then each unit's status sets.
//
// # Round trips
//
// Each method's comment says how many round trips it makes. The ones on
// the hot path take one: Load (a pipeline, which also counts the update
// against the inbound rate limit), SaveSession and Commit (one script
// each), Claim (one pipeline of ZRANGEBYSCORE per shard when nothing is
// due; then one of a script per shard holding due messages; first, only
// after a claim whose answer was lost, that claim again).
package storage
