// Package org reads the organisation file: the people the bot knows, the
// units they lead or belong to, the deadlines of the review and supervision
// policy, and the cron schedules of the jobs. Everything else in sangkien
// reads an *Org and never the file.
//
// # The file
//
// example.yaml is a complete example, every key in use (what units and
// leaders decide: docs/rules/authority.md); demo.yaml is the built-in demo
// org that Demo returns when no file is given. In short:
//
//	name: "Tỉnh X"                    # required
//	timezone: Asia/Ho_Chi_Minh        # default; schedules run in this zone
//	language: vi                      # vi (default) or en
//	people:
//	  - id: bi-thu                    # a-z, 0-9, '.', '_', '-'; unique
//	    name: "Trần Văn B"            # optional; else the id is shown
//	    identities: ["telegram:900"]  # telegram:N, slack:ID, zalo:N, console:NAME; unique
//	units:
//	  - id: tinh-uy
//	    code: TU                      # A-Z, 0-9, at most 12; starts proposal ids
//	    name: "Tỉnh ủy"
//	    parent: ""                    # a unit id; no loops
//	    leaders: [bi-thu]             # at least one; person ids or raw identities
//	    members: ["telegram:200"]
//	    channels: ["telegram:-1001"]  # group chats that hear notices and the digest
//	    join_code: TU-H4RB-7ZQE       # for /join; unique; random (config check warns on guessable)
//	policy: {review_sla: 120h, escalate_after: 240h, report_every: 14d, obstacle_sla: 72h}
//	schedules: {digest: "0 17 * * 5"} # jobs left out keep their defaults (docs/rules/jobs.md)
//
// Durations are Go durations (72h, 90m) or whole days (5d, or a bare 14);
// see ParseDuration. Unknown keys are errors, so a misspelt key is never
// silently ignored.
//
// # Errors
//
// Parse checks the whole file and returns every problem, first line first,
// one per line as "file:line: reason", for example
//
//	org.yaml:12: unit "so-tnmt": parent "tinh-uyy" is not a unit
//
// errors.As(err, &e) with e *Error gives the first as a value. Lines of YAML
// syntax errors are those the YAML parser reports.
//
// # People and identities
//
// An identity is "platform:id" as the adapters see a sender or a chat
// (telegram:100, slack:U100, console:an). A person owns one or more; the
// order is the order in which delivery tries them. A unit may list a raw
// identity as leader or member: when a person owns it, Parse stores that
// person's id; otherwise the identity stands for the person, and PersonOf,
// Addresses and the other lookups accept it as an id.
//
// Codes typed by users (unit codes in proposal ids, join codes) are compared
// with NormalizeCode, so case, surrounding spaces and precomposed versus
// decomposed Vietnamese do not matter.
package org
