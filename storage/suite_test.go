package storage_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/storage"
)

// The storage suite: every behaviour of bot.Store and bot.Outbox that the
// engine relies on. Both the real Redis and the embedded store pass it.

// t0 is when every suite test starts, on the test clock.
var t0 = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

// testClock is a clock moved by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// newStoreFunc makes a store on an empty database whose messages are
// stamped by clock.
type newStoreFunc func(t testing.TB, clock bot.Clock) *storage.Store

func runSuite(t *testing.T, newStore newStoreFunc) {
	tests := []struct {
		name string
		run  func(t *testing.T, s *storage.Store, clock *testClock)
	}{
		{"load claims an update: in hand, completed by the session write, released", testLoadClaim},
		{"a claim sent twice (a retry after a lost reply) is still the handler's", testLoadClaimSentTwice},
		{"load of nothing stored gives a new session and nil records", testLoadEmpty},
		{"session round trip", testSessionRoundTrip},
		{"save session enqueues its messages in the person's shard", testSessionMessages},
		{"reserve counts per unit and per year", testReserve},
		{"commit of version 1 then 2", testCommit},
		{"commit that conflicts writes nothing", testCommitConflict},
		{"a commit sent again after it was stored succeeds and writes nothing", testCommitRetry},
		{"a commit cut short after the session beside it stores the session, not the commit", testCommitCutShort},
		{"of concurrent commits of one version exactly one wins", testCommitRace},
		{"by status lists oldest in status first and follows moves", testByStatus},
		{"in charge reads own units whole and units below by escalation", testInCharge},
		{"upgrade fills the escalation index of data written before it, once", testUpgrade},
		{"by proposer lists oldest first across units", testByProposer},
		{"due times are set, moved and removed", testDue},
		{"all proposals by unit, year and number", testAllProposals},
		{"reads of unknown proposals", testUnknown},
		{"load counts an update in a person's counter, which expires", testLoadCount},
		{"a throttle's wait grows with each failure, and load reads it", testFailThrottle},
		{"enqueue, claim and ack", testOutboxClaimAck},
		{"claim takes at most max, oldest first, across shards", testOutboxClaimMax},
		{"a lease that runs out makes a message claimable again", testOutboxLease},
		{"defer keeps the delivery state and the new due time", testOutboxDefer},
		{"outbox writes sent again read their own effect as their own", testOutboxResent},
		{"park, list and unpark", testOutboxPark},
		{"a message key enqueues once", testOutboxKey},
		{"concurrent claimers never get the same message", testOutboxClaimers},
		{"a lease has one owner until it is released", testLeaseOneOwner},
		{"only the owner renews a lease", testLeaseRenewOnlyOwner},
		{"an expired lease goes to the next owner and the old one cannot renew it", testLeaseExpires},
		{"the offset is 0 until set, then what was set", testOffset},
		{"the limiter counts up to the limit, then says how long to wait", testAllow},
		{"the limiter window slides", testAllowSlides},
		{"limits of different keys are independent", testAllowKeys},
		{"a send is counted in every window or in none", testAllowAllOrNone},
		{"a send asked twice (a retry after a lost reply) is counted once and may go", testAllowSentTwice},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := &testClock{t: t0}
			tc.run(t, newStore(t, clock), clock)
		})
	}
}

var ctx = context.Background()

// proposal is a new proposal, filed by person at created.
func proposal(id, person string, created time.Time) *bot.Proposal {
	return &bot.Proposal{
		ID: id, Unit: "unit-" + bot.CodeOf(id), Proposer: person, Identity: "telegram:" + person,
		Status: bot.Draft, Fields: bot.Fields{bot.FieldTitle: "title of " + id},
		Created: created, Updated: created, Since: created,
	}
}

// step moves p to status to at time at and returns the commit; p is
// updated to the record after the step.
func step(p *bot.Proposal, action bot.Action, to bot.Status, at time.Time, msgs ...bot.Message) *bot.Commit {
	from := p.Status
	prev := p.Head
	p.Version++
	// Stands in for the event's hash (the store keeps any SHA-256).
	p.Head = fmt.Sprintf("%x", sha256.Sum256(fmt.Appendf(nil, "%s#%d:%s@%d", p.ID, p.Version, action, at.Unix())))
	p.Updated = at
	if to != from {
		p.Since = at
	}
	p.Status = to
	rec := *p
	return &bot.Commit{
		Proposal: &rec,
		Event: bot.Event{
			Seq: p.Version, At: at, Actor: p.Identity, Action: action, From: from, To: to,
			Data: map[string]string{"n": fmt.Sprint(p.Version)}, PrevHash: prev, Hash: p.Head,
		},
		From:     from,
		Messages: msgs,
	}
}

// commit applies c and fails the test on error.
func commit(t testing.TB, s *storage.Store, c *bot.Commit) {
	t.Helper()
	if err := s.Commit(ctx, c); err != nil {
		t.Fatalf("commit %s v%d: %v", c.Proposal.ID, c.Proposal.Version, err)
	}
}

func must[T any](t testing.TB) func(v T, err error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func msg(id string, to ...string) bot.Message {
	return bot.Message{ID: id, To: to, Text: bot.Text{{Text: "text of " + id}}}
}

// ids returns the ids of envelopes.
func ids(es []*bot.Envelope) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}

// diff compares want and got; an envelope's Claim is a random name.
func diff[T any](t testing.TB, what string, want, got T, opts ...cmp.Option) {
	t.Helper()
	if d := cmp.Diff(want, got, append(opts, cmpopts.EquateEmpty(), cmpopts.IgnoreFields(bot.Envelope{}, "Claim"))...); d != "" {
		t.Errorf("%s (-want +got):\n%s", what, d)
	}
}

func testLoadClaim(t *testing.T, s *storage.Store, _ *testClock) {
	claims := map[string]string{} // dedupe → the token of the Load that took it
	load := func(person, dedupe string) *bot.Loaded {
		t.Helper()
		l := must[*bot.Loaded](t)(s.Load(ctx, bot.LoadRequest{Dedupe: dedupe, Person: person}))
		if (l.Claim != "") != (dedupe != "" && !l.Duplicate) {
			t.Errorf("%s: claim token %q with duplicate = %v", dedupe, l.Claim, l.Duplicate)
		}
		if l.Claim != "" {
			claims[dedupe] = l.Claim
		}
		return l
	}
	release := func(person, dedupe, token string) func() {
		return func() {
			if err := s.Release(ctx, person, dedupe, token); err != nil {
				t.Fatal(err)
			}
		}
	}
	type claim struct{ duplicate, inHand bool }
	steps := []struct {
		what    string
		person  string
		dedupe  string
		before  func()
		want    claim
		wantTTL time.Duration // of the claim after the step, roughly; 0: not checked
	}{
		{what: "first delivery", person: "a", dedupe: "telegram:1", wantTTL: bot.ClaimHold},
		{what: "redelivery while in hand", person: "a", dedupe: "telegram:1", want: claim{true, true}, wantTTL: bot.ClaimHold},
		{what: "redelivery once a session write completed it", person: "a", dedupe: "telegram:1",
			before: func() {
				if err := s.SaveSession(ctx, &bot.Session{Person: "a", Lang: "en", Update: "telegram:1"}, nil); err != nil {
					t.Fatal(err)
				}
			},
			want: claim{true, false}, wantTTL: 48 * time.Hour},
		{what: "a release with a stale token leaves a completed claim", person: "a", dedupe: "telegram:1",
			before: func() { release("a", "telegram:1", claims["telegram:1"])() },
			want:   claim{true, false}, wantTTL: 48 * time.Hour},
		{what: "another update", person: "a", dedupe: "telegram:2"},
		{what: "a release with another token leaves the claim in hand", person: "a", dedupe: "telegram:2",
			before: release("a", "telegram:2", "not-the-token"), want: claim{true, true}},
		{what: "released by its own token, then redelivered", person: "a", dedupe: "telegram:2",
			before: func() { release("a", "telegram:2", claims["telegram:2"])() }},
		{what: "redelivered again", person: "a", dedupe: "telegram:2", want: claim{true, true}},
		{what: "no dedupe key", person: "a"},
		{what: "no dedupe key again", person: "a"},
	}
	for _, st := range steps {
		if st.before != nil {
			st.before()
		}
		l := load(st.person, st.dedupe)
		if got := (claim{l.Duplicate, l.InHand}); got != st.want {
			t.Errorf("%s: (duplicate, in hand) = %v, want %v", st.what, got, st.want)
		}
		if st.wantTTL > 0 {
			ttl := s.Client().PTTL(ctx, storage.SeenKey(s, st.person, st.dedupe)).Val()
			if ttl > st.wantTTL || ttl < st.wantTTL-5*time.Second {
				t.Errorf("%s: claim held for %v, want about %v", st.what, ttl, st.wantTTL)
			}
		}
	}
}

func testLoadEmpty(t *testing.T, s *storage.Store, _ *testClock) {
	got := must[*bot.Loaded](t)(s.Load(ctx, bot.LoadRequest{Person: "nobody", Proposals: []string{"TNMT-2026-001", "TU-2026-009"}}))
	want := &bot.Loaded{Session: &bot.Session{Person: "nobody"}, Proposals: []*bot.Proposal{nil, nil}}
	diff(t, "loaded", want, got)
}

func testSessionRoundTrip(t *testing.T, s *storage.Store, _ *testClock) {
	full := &bot.Session{
		Person: "nguyen-van-a", Lang: "en", Unit: "so-tnmt", Last: "telegram:100",
		Dialog: &bot.Dialog{
			Kind: "propose", Step: bot.FieldProblem, Fields: bot.Fields{bot.FieldTitle: "Đồng hồ nước"},
			Target: "TNMT-2026-001", Data: map[string]string{"a": "b"}, Ref: "telegram:100/55", Edit: true,
		},
		Pending: &bot.Pending{ID: "TNMT-2026-002", Version: 3, Head: "abc", Dialog: &bot.Dialog{Kind: "question", Step: "reason"}},
	}
	tests := []struct {
		name     string
		save     *bot.Session
		wantLast string
		wantLang string
	}{
		{"every field", full, "telegram:100", "en"},
		{"fields emptied are removed", &bot.Session{Person: "nguyen-van-a", Last: "slack:U100"}, "slack:U100", ""},
		{"an empty session", &bot.Session{Person: "nguyen-van-a"}, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.SaveSession(ctx, tc.save, nil); err != nil {
				t.Fatal(err)
			}
			got := must[*bot.Loaded](t)(s.Load(ctx, bot.LoadRequest{Person: tc.save.Person}))
			diff(t, "session", tc.save, got.Session)
			last, lang, err := s.Contact(ctx, tc.save.Person)
			if err != nil {
				t.Fatal(err)
			}
			diff(t, "contact", []string{tc.wantLast, tc.wantLang}, []string{last, lang})
		})
	}
	last, lang, err := s.Contact(ctx, "stranger")
	if err != nil || last != "" || lang != "" {
		t.Errorf("contact of a stranger = %q, %q, %v; want empty", last, lang, err)
	}
}

func testSessionMessages(t *testing.T, s *storage.Store, _ *testClock) {
	sess := &bot.Session{Person: "bi-thu", Lang: "vi"}
	if err := s.SaveSession(ctx, sess, []bot.Message{msg("m1", "telegram:900"), msg("m2", "telegram:900")}); err != nil {
		t.Fatal(err)
	}
	got := must[[]*bot.Envelope](t)(s.Claim(ctx, t0, time.Minute, 10))
	want := []*bot.Envelope{
		{Message: msg("m1", "telegram:900"), Queued: t0, Shard: storage.ShardOf("bi-thu")},
		{Message: msg("m2", "telegram:900"), Queued: t0, Shard: storage.ShardOf("bi-thu")},
	}
	diff(t, "claimed", want, got, cmpopts.EquateApproxTime(0))
}

func testReserve(t *testing.T, s *storage.Store, _ *testClock) {
	steps := []struct {
		code string
		year int
		want int
	}{
		{"TNMT", 2026, 1},
		{"TNMT", 2026, 2},
		{"TNMT", 2027, 1},
		{"TU", 2026, 1},
		{"TNMT", 2026, 3},
	}
	for _, st := range steps {
		got := must[int](t)(s.Reserve(ctx, st.code, st.year, "a"))
		if got != st.want {
			t.Errorf("reserve %s %d = %d, want %d", st.code, st.year, got, st.want)
		}
	}
}

// state is everything the store shows about proposals and the outbox.
type state struct {
	Records   []*bot.Proposal
	Events    map[string][]bot.Event
	ByStatus  map[bot.Status][]string
	Proposer  []string
	Due       map[string][]string
	Waiting   int64
	Parked    int64
	All       []string
	ParkedMsg []string
}

func snapshot(t testing.TB, s *storage.Store, code, person string, pids ...string) state {
	t.Helper()
	st := state{Events: map[string][]bot.Event{}, ByStatus: map[bot.Status][]string{}, Due: map[string][]string{}}
	st.Records = must[[]*bot.Proposal](t)(s.Proposals(ctx, pids))
	for _, id := range pids {
		ev, err := s.Events(ctx, id)
		if err != nil && !errors.Is(err, bot.ErrNotFound) {
			t.Fatal(err)
		}
		st.Events[id] = ev
	}
	for _, status := range bot.Statuses {
		if l := must[[]string](t)(s.ByStatus(ctx, code, status)); len(l) > 0 {
			st.ByStatus[status] = l
		}
	}
	st.Proposer = must[[]string](t)(s.ByProposer(ctx, person))
	far := t0.Add(10 * 365 * 24 * time.Hour)
	for _, k := range []string{bot.DueReview, bot.DueReport, bot.DueObstacle, bot.DueEnd} {
		if l := must[[]string](t)(s.Due(ctx, k, far)); len(l) > 0 {
			st.Due[k] = l
		}
	}
	var err error
	st.Waiting, st.Parked, err = s.Depth(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st.All = must[[]string](t)(s.AllProposals(ctx))
	st.ParkedMsg = ids(must[[]*bot.Envelope](t)(s.Parked(ctx)))
	return st
}

func testCommit(t *testing.T, s *storage.Store, clock *testClock) {
	const id = "TNMT-2026-001"
	must[int](t)(s.Reserve(ctx, "TNMT", 2026, "a"))
	p := proposal(id, "a", t0)
	submit := step(p, bot.Submit, bot.Submitted, t0, msg("to-leader", "person:lead"))
	submit.Due = map[string]time.Time{bot.DueReview: t0}
	commit(t, s, submit)

	got := snapshot(t, s, "TNMT", "a", id)
	want := state{
		Records:  []*bot.Proposal{submit.Proposal},
		Events:   map[string][]bot.Event{id: {submit.Event}},
		ByStatus: map[bot.Status][]string{bot.Submitted: {id}},
		Proposer: []string{id},
		Due:      map[string][]string{bot.DueReview: {id}},
		Waiting:  1,
		All:      []string{id},
	}
	diff(t, "after version 1", want, got, cmpopts.EquateApproxTime(0))

	clock.Add(time.Hour)
	at := t0.Add(time.Hour)
	approve := step(p, bot.ApprovePilot, bot.Piloting, at, msg("to-group", "telegram:-1002"))
	approve.Proposal.Pilot = &bot.Pilot{End: "2026-09-01", Cadence: 14 * 24 * time.Hour, Approved: at, ApprovedBy: "lead"}
	approve.Due = map[string]time.Time{bot.DueReview: {}, bot.DueReport: at.Add(14 * 24 * time.Hour), bot.DueEnd: at.Add(180 * 24 * time.Hour)}
	commit(t, s, approve)

	got = snapshot(t, s, "TNMT", "a", id)
	want = state{
		Records:  []*bot.Proposal{approve.Proposal},
		Events:   map[string][]bot.Event{id: {submit.Event, approve.Event}},
		ByStatus: map[bot.Status][]string{bot.Piloting: {id}},
		Proposer: []string{id},
		Due:      map[string][]string{bot.DueReport: {id}, bot.DueEnd: {id}},
		Waiting:  2,
		All:      []string{id},
	}
	diff(t, "after version 2", want, got, cmpopts.EquateApproxTime(0))

	claimed := must[[]*bot.Envelope](t)(s.Claim(ctx, clock.Now(), time.Minute, 10))
	wantMsgs := []*bot.Envelope{
		{Message: msg("to-leader", "person:lead"), Queued: t0, Shard: storage.ShardOf("TNMT")},
		{Message: msg("to-group", "telegram:-1002"), Queued: at, Shard: storage.ShardOf("TNMT")},
	}
	diff(t, "messages of the commits", wantMsgs, claimed, cmpopts.EquateApproxTime(0))
}

func testCommitConflict(t *testing.T, s *storage.Store, _ *testClock) {
	const id = "TNMT-2026-001"
	must[int](t)(s.Reserve(ctx, "TNMT", 2026, "a"))
	p := proposal(id, "a", t0)
	commit(t, s, step(p, bot.Submit, bot.Submitted, t0))
	stored := *p

	at := t0.Add(time.Hour)
	keyed := msg("keyed", "telegram:1")
	keyed.Key = "approve/" + id
	tests := []struct {
		name   string
		commit func() *bot.Commit
	}{
		{"version 1 again", func() *bot.Commit {
			q := proposal(id, "a", t0)
			return step(q, bot.Submit, bot.Submitted, t0.Add(time.Minute), msg("again", "telegram:1"))
		}},
		{"version too far ahead", func() *bot.Commit {
			q := stored
			q.Version++
			return step(&q, bot.ApprovePilot, bot.Piloting, at, msg("ahead", "telegram:1"))
		}},
		{"wrong head", func() *bot.Commit {
			q := stored
			q.Head = "forged"
			c := step(&q, bot.ApprovePilot, bot.Piloting, at, keyed)
			c.Due = map[string]time.Time{bot.DueReport: at, bot.DueReview: {}}
			return c
		}},
		{"version behind", func() *bot.Commit {
			q := stored
			q.Version--
			return step(&q, bot.Reject, bot.Rejected, at, msg("behind", "telegram:1"))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := snapshot(t, s, "TNMT", "a", id)
			err := s.Commit(ctx, tc.commit())
			if !errors.Is(err, bot.ErrConflict) {
				t.Fatalf("commit = %v, want ErrConflict", err)
			}
			if code := bot.ErrorCode(err); code != bot.EConflict {
				t.Errorf("error code = %q, want %q", code, bot.EConflict)
			}
			diff(t, "state", before, snapshot(t, s, "TNMT", "a", id), cmpopts.EquateApproxTime(0))
		})
	}
	// The key of the refused message was not spent.
	c := step(p, bot.ApprovePilot, bot.Piloting, at, keyed)
	commit(t, s, c)
	if w, _, _ := s.Depth(ctx); w != 1 {
		t.Errorf("waiting after the good commit = %d, want 1", w)
	}
}

func testCommitRetry(t *testing.T, s *storage.Store, _ *testClock) {
	const id = "TNMT-2026-001"
	p := proposal(id, "a", t0)
	first := step(p, bot.Submit, bot.Submitted, t0, msg("m1", "telegram:1"))
	second := step(p, bot.ApprovePilot, bot.Piloting, t0.Add(time.Hour), msg("m2", "telegram:1"))
	for _, c := range []*bot.Commit{first, second} {
		commit(t, s, c)
		before := snapshot(t, s, "TNMT", "a", id)
		commit(t, s, c) // the reply was lost; the caller tries again
		diff(t, fmt.Sprint("after version ", c.Proposal.Version, " again"), before, snapshot(t, s, "TNMT", "a", id), cmpopts.EquateApproxTime(0))
	}
	if err := s.Commit(ctx, first); !errors.Is(err, bot.ErrConflict) {
		t.Errorf("version 1 again after version 2: %v, want ErrConflict", err)
	}
}

func testCommitRace(t *testing.T, s *storage.Store, _ *testClock) {
	const id = "TU-2026-001"
	p := proposal(id, "a", t0)
	commit(t, s, step(p, bot.Submit, bot.Submitted, t0))
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		q := *p
		c := step(&q, bot.ApprovePilot, bot.Piloting, t0.Add(time.Minute), msg(fmt.Sprint("m", i), "telegram:1"))
		c.Event.Data = map[string]string{"by": fmt.Sprint(i)}
		c.Event.Hash = fmt.Sprintf("%x", sha256.Sum256(fmt.Appendf(nil, "%s#%d", c.Event.Hash, i))) // the hash covers the data
		c.Proposal.Head = c.Event.Hash
		wg.Go(func() { errs[i] = s.Commit(ctx, c) })
	}
	wg.Wait()
	won := -1
	for i, err := range errs {
		switch {
		case err == nil && won >= 0:
			t.Errorf("commits %d and %d both won", won, i)
		case err == nil:
			won = i
		case !errors.Is(err, bot.ErrConflict):
			t.Errorf("commit %d: %v", i, err)
		}
	}
	if won < 0 {
		t.Fatal("no commit won")
	}
	ev := must[[]bot.Event](t)(s.Events(ctx, id))
	if len(ev) != 2 || ev[1].Data["by"] != fmt.Sprint(won) {
		t.Errorf("events = %+v, want submit and the winner's approval", ev)
	}
	if w, _, _ := s.Depth(ctx); w != 1 {
		t.Errorf("waiting = %d, want only the winner's message", w)
	}
}

func testInCharge(t *testing.T, s *storage.Store, _ *testClock) {
	// TU above TNMT above PDD; one proposal each in TNMT and PDD that is
	// not escalated, one in PDD escalated one level, one two levels.
	file := func(id string, levels int, at time.Time) *bot.Proposal {
		p := proposal(id, "a", at)
		p.Escalation = levels
		commit(t, s, step(p, bot.Submit, bot.Submitted, at))
		return p
	}
	file("TNMT-2026-001", 0, t0)
	file("PDD-2026-001", 0, t0.Add(time.Minute))
	one := file("PDD-2026-002", 1, t0.Add(2*time.Minute))
	two := file("PDD-2026-003", 2, t0.Add(3*time.Minute))
	check := func(what string, own []string, below map[string]int, want []string, statuses ...bot.Status) {
		t.Helper()
		diff(t, what, want, must[[]string](t)(s.InCharge(ctx, own, below, statuses...)))
	}
	check("the department's head: all of PDD", []string{"PDD"}, nil,
		[]string{"PDD-2026-001", "PDD-2026-002", "PDD-2026-003"}, bot.Submitted)
	check("TNMT's leader: all of TNMT, PDD's escalated once or more", []string{"TNMT"}, map[string]int{"PDD": 1},
		[]string{"TNMT-2026-001", "PDD-2026-002", "PDD-2026-003"}, bot.Submitted)
	check("the province: only what reached it", []string{"TU"}, map[string]int{"TNMT": 1, "PDD": 2},
		[]string{"PDD-2026-003"}, bot.Submitted)
	check("another status", []string{"TU"}, map[string]int{"TNMT": 1, "PDD": 2}, nil, bot.Piloting)

	// The escalation index follows the status: approved, the item leaves
	// the submitted index and is found among the pilots.
	commit(t, s, step(two, bot.ApprovePilot, bot.Piloting, t0.Add(time.Hour)))
	check("the province after approval, submitted", []string{"TU"}, map[string]int{"TNMT": 1, "PDD": 2}, nil, bot.Submitted)
	check("the province after approval, pilots", []string{"TU"}, map[string]int{"TNMT": 1, "PDD": 2},
		[]string{"PDD-2026-003"}, bot.Piloting, bot.Suspended)
	// Escalated one level more, the item reaches the province too.
	one.Escalation = 2
	commit(t, s, step(one, bot.Escalate, bot.Submitted, t0.Add(2*time.Hour)))
	check("the province after a second escalation", []string{"TU"}, map[string]int{"TNMT": 1, "PDD": 2},
		[]string{"PDD-2026-002"}, bot.Submitted)
}

func testUpgrade(t *testing.T, s *storage.Store, _ *testClock) {
	if n := must[int](t)(s.Upgrade(ctx)); n != 0 {
		t.Fatalf("an empty store: %d indexed", n)
	}
	for _, levels := range []int{1, 0, 2} {
		n := must[int](t)(s.Reserve(ctx, "TNMT", 2026, "a"))
		p := proposal(fmt.Sprintf("TNMT-2026-%03d", n), "a", t0)
		p.Escalation = levels
		commit(t, s, step(p, bot.Submit, bot.Submitted, t0.Add(time.Duration(n)*time.Minute)))
	}
	// As an earlier version left it: no escalation index, no layout.
	rdb := s.Client()
	for _, k := range []string{storage.EscalatedKey(s, "TNMT", bot.Submitted), storage.LayoutKey(s)} {
		if err := rdb.Del(ctx, k).Err(); err != nil {
			t.Fatal(err)
		}
	}
	above := map[string]int{"TNMT": 1}
	diff(t, "before the upgrade", nil, must[[]string](t)(s.InCharge(ctx, nil, above, bot.Submitted)))
	if n := must[int](t)(s.Upgrade(ctx)); n != 2 {
		t.Fatalf("upgrade indexed %d, want the 2 escalated", n)
	}
	diff(t, "after the upgrade", []string{"TNMT-2026-001", "TNMT-2026-003"}, must[[]string](t)(s.InCharge(ctx, nil, above, bot.Submitted)))
	if n := must[int](t)(s.Upgrade(ctx)); n != 0 {
		t.Fatalf("a second upgrade indexed %d", n)
	}
}

func testByStatus(t *testing.T, s *storage.Store, _ *testClock) {
	ps := map[string]*bot.Proposal{}
	// Filed in the order 3, 1, 2: status order follows Since, not the id.
	for i, id := range []string{"TNMT-2026-003", "TNMT-2026-001", "TNMT-2026-002"} {
		p := proposal(id, "a", t0)
		commit(t, s, step(p, bot.Submit, bot.Submitted, t0.Add(time.Duration(i)*time.Minute)))
		ps[id] = p
	}
	other := proposal("TU-2026-001", "a", t0)
	commit(t, s, step(other, bot.Submit, bot.Submitted, t0))

	check := func(what string, want []string, statuses ...bot.Status) {
		t.Helper()
		diff(t, what, want, must[[]string](t)(s.ByStatus(ctx, "TNMT", statuses...)))
	}
	check("submitted", []string{"TNMT-2026-003", "TNMT-2026-001", "TNMT-2026-002"}, bot.Submitted)

	commit(t, s, step(ps["TNMT-2026-003"], bot.ApprovePilot, bot.Piloting, t0.Add(time.Hour)))
	commit(t, s, step(ps["TNMT-2026-001"], bot.RequestRevision, bot.RevisionRequested, t0.Add(2*time.Hour)))
	check("submitted after moves", []string{"TNMT-2026-002"}, bot.Submitted)
	check("piloting", []string{"TNMT-2026-003"}, bot.Piloting)
	check("waiting for a decision or a revision",
		[]string{"TNMT-2026-002", "TNMT-2026-001"}, bot.Submitted, bot.RevisionRequested)

	// A report keeps the status and its Since: the order does not change.
	commit(t, s, step(ps["TNMT-2026-003"], bot.Report, bot.Piloting, t0.Add(3*time.Hour)))
	commit(t, s, step(ps["TNMT-2026-001"], bot.Resubmit, bot.Submitted, t0.Add(4*time.Hour)))
	check("resubmitted goes last", []string{"TNMT-2026-002", "TNMT-2026-001"}, bot.Submitted)
	check("every status when none is named",
		[]string{"TNMT-2026-002", "TNMT-2026-003", "TNMT-2026-001"})
	check("a status nobody is in", nil, bot.Completed)
	diff(t, "another unit", []string{"TU-2026-001"}, must[[]string](t)(s.ByStatus(ctx, "TU", bot.Submitted)))
}

func testByProposer(t *testing.T, s *storage.Store, _ *testClock) {
	file := func(id, person string, created time.Time) {
		t.Helper()
		must[int](t)(s.Reserve(ctx, bot.CodeOf(id), 2026, person))
		p := proposal(id, person, created)
		commit(t, s, step(p, bot.Submit, bot.Submitted, created))
	}
	file("TNMT-2026-001", "a", t0.Add(2*time.Hour))
	file("TU-2026-001", "a", t0)
	file("TNMT-2026-002", "b", t0.Add(time.Hour))
	file("XD-2026-001", "a", t0.Add(time.Hour))
	tests := []struct {
		person string
		want   []string
	}{
		{"a", []string{"TU-2026-001", "XD-2026-001", "TNMT-2026-001"}},
		{"b", []string{"TNMT-2026-002"}},
		{"c", nil},
	}
	for _, tc := range tests {
		diff(t, "proposals of "+tc.person, tc.want, must[[]string](t)(s.ByProposer(ctx, tc.person)))
	}
}

func testDue(t *testing.T, s *storage.Store, _ *testClock) {
	ps := map[string]*bot.Proposal{}
	// Units in different shards, so that Due merges shards.
	for i, id := range []string{"TNMT-2026-001", "TU-2026-001", "XD-2026-001", "GD-2026-001"} {
		p := proposal(id, "a", t0)
		c := step(p, bot.Submit, bot.Submitted, t0)
		c.Due = map[string]time.Time{bot.DueReview: t0.Add(time.Duration(4-i) * time.Hour)}
		commit(t, s, c)
		ps[id] = p
	}
	due := func(kind string, until time.Time) []string {
		t.Helper()
		return must[[]string](t)(s.Due(ctx, kind, until))
	}
	diff(t, "review due by +2h", []string{"GD-2026-001", "XD-2026-001"}, due(bot.DueReview, t0.Add(2*time.Hour)))
	diff(t, "review due by +4h", []string{"GD-2026-001", "XD-2026-001", "TU-2026-001", "TNMT-2026-001"}, due(bot.DueReview, t0.Add(4*time.Hour)))

	c := step(ps["GD-2026-001"], bot.ApprovePilot, bot.Piloting, t0.Add(time.Hour))
	c.Due = map[string]time.Time{bot.DueReview: {}, bot.DueReport: t0.Add(48 * time.Hour)}
	commit(t, s, c)
	c = step(ps["XD-2026-001"], bot.Escalate, bot.Submitted, t0.Add(time.Hour))
	c.Due = map[string]time.Time{bot.DueReview: t0.Add(10 * time.Hour)}
	commit(t, s, c)

	diff(t, "review due by +4h after approval and a moved deadline", []string{"TU-2026-001", "TNMT-2026-001"}, due(bot.DueReview, t0.Add(4*time.Hour)))
	diff(t, "report due by +47h", nil, due(bot.DueReport, t0.Add(47*time.Hour)))
	diff(t, "report due by +48h", []string{"GD-2026-001"}, due(bot.DueReport, t0.Add(48*time.Hour)))
	diff(t, "a kind never set", nil, due(bot.DueObstacle, t0.Add(1000*time.Hour)))
}

func testAllProposals(t *testing.T, s *storage.Store, _ *testClock) {
	for _, id := range []string{"TU-2026-001", "TNMT-2026-010", "TNMT-2026-002", "TNMT-2025-003", "TNMT-2026-1000"} {
		must[int](t)(s.Reserve(ctx, bot.CodeOf(id), 2026, "a"))
		p := proposal(id, "a", t0)
		commit(t, s, step(p, bot.Submit, bot.Submitted, t0))
		if id == "TNMT-2026-002" {
			commit(t, s, step(p, bot.Reject, bot.Rejected, t0.Add(time.Hour)))
		}
	}
	want := []string{"TNMT-2025-003", "TNMT-2026-002", "TNMT-2026-010", "TNMT-2026-1000", "TU-2026-001"}
	diff(t, "all", want, must[[]string](t)(s.AllProposals(ctx)))
}

func testUnknown(t *testing.T, s *storage.Store, _ *testClock) {
	p := proposal("TNMT-2026-001", "a", t0)
	c := step(p, bot.Submit, bot.Submitted, t0)
	commit(t, s, c)
	got := must[[]*bot.Proposal](t)(s.Proposals(ctx, []string{"TNMT-2026-009", "TNMT-2026-001", "XX-2026-001"}))
	diff(t, "proposals", []*bot.Proposal{nil, c.Proposal, nil}, got, cmpopts.EquateApproxTime(0))
	if _, err := s.Events(ctx, "TNMT-2026-009"); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("events of an unknown proposal: %v, want ErrNotFound", err)
	}
	diff(t, "no proposals asked", []*bot.Proposal{}, must[[]*bot.Proposal](t)(s.Proposals(ctx, nil)))
	diff(t, "all with none filed", []string(nil), must[[]string](t)(s.AllProposals(ctx)))
}

func testOutboxClaimAck(t *testing.T, s *storage.Store, clock *testClock) {
	if err := s.Enqueue(ctx, []bot.Message{msg("a", "telegram:1")}); err != nil {
		t.Fatal(err)
	}
	clock.Add(time.Second)
	if err := s.Enqueue(ctx, []bot.Message{msg("b", "telegram:1"), msg("c", "slack:C1")}); err != nil {
		t.Fatal(err)
	}
	if w, p, _ := s.Depth(ctx); w != 3 || p != 0 {
		t.Errorf("depth = %d, %d; want 3, 0", w, p)
	}
	now := clock.Now()
	if got := must[[]*bot.Envelope](t)(s.Claim(ctx, t0.Add(-time.Second), time.Minute, 10)); len(got) != 0 {
		t.Errorf("claimed %v before anything was due", ids(got))
	}
	got := must[[]*bot.Envelope](t)(s.Claim(ctx, now, time.Minute, 10))
	want := []*bot.Envelope{
		{Message: msg("a", "telegram:1"), Queued: t0, Shard: storage.ShardOf("a")},
		{Message: msg("b", "telegram:1"), Queued: now, Shard: storage.ShardOf("b")},
		{Message: msg("c", "slack:C1"), Queued: now, Shard: storage.ShardOf("c")},
	}
	diff(t, "claimed", want, got, cmpopts.EquateApproxTime(0))
	if again := must[[]*bot.Envelope](t)(s.Claim(ctx, now, time.Minute, 10)); len(again) != 0 {
		t.Errorf("claimed %v again while leased", ids(again))
	}
	for _, e := range got[:2] {
		if err := s.Ack(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if w, p, _ := s.Depth(ctx); w != 1 || p != 0 {
		t.Errorf("depth after two acks = %d, %d; want 1, 0", w, p)
	}
	later := must[[]*bot.Envelope](t)(s.Claim(ctx, now.Add(time.Hour), time.Minute, 10))
	diff(t, "claimable after the lease", []string{"c"}, ids(later))
}

func testOutboxClaimMax(t *testing.T, s *storage.Store, clock *testClock) {
	var msgs []bot.Message
	for i := range 40 {
		msgs = append(msgs, msg(fmt.Sprintf("m%02d", i), "telegram:1"))
	}
	// One at a time, a millisecond apart, so that the order is known.
	for _, m := range msgs {
		if err := s.Enqueue(ctx, []bot.Message{m}); err != nil {
			t.Fatal(err)
		}
		clock.Add(time.Millisecond)
	}
	shardsUsed := map[int]bool{}
	for _, m := range msgs {
		shardsUsed[storage.ShardOf(m.ID)] = true
	}
	if len(shardsUsed) < 4 {
		t.Fatalf("test messages use only %d shards", len(shardsUsed))
	}
	now := clock.Now()
	var got []string
	for range 8 {
		batch := must[[]*bot.Envelope](t)(s.Claim(ctx, now, time.Minute, 5))
		if len(batch) != 5 {
			t.Fatalf("claimed %d, want 5", len(batch))
		}
		got = append(got, ids(batch)...)
	}
	var want []string
	for _, m := range msgs {
		want = append(want, m.ID)
	}
	diff(t, "claimed in order", want, got)
	if rest := must[[]*bot.Envelope](t)(s.Claim(ctx, now, time.Minute, 5)); len(rest) != 0 {
		t.Errorf("claimed %v after all", ids(rest))
	}
	if got := must[[]*bot.Envelope](t)(s.Claim(ctx, now, time.Minute, 0)); len(got) != 0 {
		t.Errorf("claim of max 0 gave %v", ids(got))
	}
}

func testOutboxLease(t *testing.T, s *storage.Store, _ *testClock) {
	if err := s.Enqueue(ctx, []bot.Message{msg("m", "telegram:1")}); err != nil {
		t.Fatal(err)
	}
	const lease = 30 * time.Second
	steps := []struct {
		at   time.Duration
		want []string
	}{
		{0, []string{"m"}},
		{lease - time.Millisecond, nil},
		{lease, []string{"m"}}, // the first worker died
		{lease + time.Second, nil},
		{2*lease + time.Second, []string{"m"}},
	}
	for _, st := range steps {
		got := must[[]*bot.Envelope](t)(s.Claim(ctx, t0.Add(st.at), lease, 10))
		diff(t, fmt.Sprint("claim at +", st.at), st.want, ids(got))
	}
}

func testOutboxDefer(t *testing.T, s *storage.Store, _ *testClock) {
	if err := s.Enqueue(ctx, []bot.Message{msg("m", "person:a", "telegram:1")}); err != nil {
		t.Fatal(err)
	}
	e := must[[]*bot.Envelope](t)(s.Claim(ctx, t0, time.Minute, 1))[0]
	e.To = []string{"telegram:100", "telegram:1"}
	e.Attempts, e.Err, e.Next = 2, "telegram:100: 429", 0
	if err := s.Defer(ctx, e, t0.Add(5*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got := must[[]*bot.Envelope](t)(s.Claim(ctx, t0.Add(5*time.Minute-time.Millisecond), time.Minute, 1)); len(got) != 0 {
		t.Errorf("claimed %v before its new due time", ids(got))
	}
	got := must[[]*bot.Envelope](t)(s.Claim(ctx, t0.Add(5*time.Minute), time.Minute, 1))
	diff(t, "deferred", []*bot.Envelope{e}, got, cmpopts.EquateApproxTime(0))
}

// go-redis sends a command again after a read timeout, and a hung Redis
// then runs both. A claim sent again hands back what its first run took
// (not hiding it for a lease as another deliverer's); a deferral or a
// parking sent again after another deliverer claimed the message changes
// nothing (it does not make the message claimable twice).
func testOutboxResent(t *testing.T, s *storage.Store, _ *testClock) {
	if err := s.Enqueue(ctx, []bot.Message{msg("m1", "telegram:1"), msg("m2", "telegram:1")}); err != nil {
		t.Fatal(err)
	}
	first, again, err := storage.ClaimResent(s, ctx, t0, t0.Add(time.Minute), 10)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "the claim sent again", []string{"m1", "m2"}, ids(first))
	diff(t, "the claim sent again", ids(first), ids(again))
	if other := must[[]*bot.Envelope](t)(s.Claim(ctx, t0, time.Minute, 10)); len(other) != 0 {
		t.Fatalf("another claim ending in the same millisecond took %v", ids(other))
	}
	if err := s.Ack(ctx, first[1]); err != nil {
		t.Fatal(err)
	}

	// m1 is deferred by a millisecond; another deliverer claims it then;
	// the deferral arrives again.
	e := first[0]
	if err := s.Defer(ctx, e, t0.Add(time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	theirs := must[[]*bot.Envelope](t)(s.Claim(ctx, t0.Add(time.Millisecond), time.Minute, 1))
	diff(t, "claimed by the other deliverer", []string{"m1"}, ids(theirs))
	if err := s.Defer(ctx, e, t0.Add(time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if err := s.Park(ctx, e); err != nil {
		t.Fatal(err)
	}
	if got := must[[]*bot.Envelope](t)(s.Claim(ctx, t0.Add(2*time.Millisecond), time.Minute, 10)); len(got) != 0 {
		t.Errorf("claimable twice after a deferral sent again: %v", ids(got))
	}
	if parked := must[[]*bot.Envelope](t)(s.Parked(ctx)); len(parked) != 0 {
		t.Errorf("parked by a stale claim: %v", ids(parked))
	}
	// The other deliverer's own writes go through.
	if err := s.Defer(ctx, theirs[0], t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	got := must[[]*bot.Envelope](t)(s.Claim(ctx, t0.Add(time.Hour), time.Minute, 10))
	diff(t, "after the other deliverer deferred it", []string{"m1"}, ids(got))
}

func testOutboxPark(t *testing.T, s *storage.Store, clock *testClock) {
	if err := s.Enqueue(ctx, []bot.Message{msg("old", "telegram:1")}); err != nil {
		t.Fatal(err)
	}
	clock.Add(time.Minute)
	if err := s.Enqueue(ctx, []bot.Message{msg("new", "telegram:2")}); err != nil {
		t.Fatal(err)
	}
	claimed := must[[]*bot.Envelope](t)(s.Claim(ctx, clock.Now(), time.Minute, 10))
	// Parked in the opposite order: Parked still lists by Queued.
	for _, i := range []int{1, 0} {
		e := claimed[i]
		e.Attempts, e.Next, e.Err = 12, 1, "telegram: chat not found"
		if err := s.Park(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if w, p, _ := s.Depth(ctx); w != 0 || p != 2 {
		t.Errorf("depth = %d, %d; want 0, 2", w, p)
	}
	parked := must[[]*bot.Envelope](t)(s.Parked(ctx))
	diff(t, "parked", claimed, parked, cmpopts.EquateApproxTime(0))
	if got := must[[]*bot.Envelope](t)(s.Claim(ctx, clock.Now().Add(time.Hour), time.Minute, 10)); len(got) != 0 {
		t.Errorf("claimed parked messages %v", ids(got))
	}

	later := clock.Now().Add(time.Hour)
	if err := s.Unpark(ctx, "old", later); err != nil {
		t.Fatal(err)
	}
	if err := s.Unpark(ctx, "old", later); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("second unpark: %v, want ErrNotFound", err)
	}
	if err := s.Unpark(ctx, "never", later); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("unpark of an unknown message: %v, want ErrNotFound", err)
	}
	if w, p, _ := s.Depth(ctx); w != 1 || p != 1 {
		t.Errorf("depth after unpark = %d, %d; want 1, 1", w, p)
	}
	if got := must[[]*bot.Envelope](t)(s.Claim(ctx, later.Add(-time.Millisecond), time.Minute, 10)); len(got) != 0 {
		t.Errorf("unparked message due before now: %v", ids(got))
	}
	got := must[[]*bot.Envelope](t)(s.Claim(ctx, later, time.Minute, 10))
	want := []*bot.Envelope{{Message: msg("old", "telegram:1"), Queued: t0, Shard: storage.ShardOf("old")}}
	diff(t, "unparked, with its delivery state reset", want, got, cmpopts.EquateApproxTime(0))
}

func testOutboxKey(t *testing.T, s *storage.Store, _ *testClock) {
	keyed := func(id, key string) bot.Message {
		m := msg(id, "telegram:1")
		m.Key = key
		return m
	}
	tests := []struct {
		name string
		send func() error
	}{
		{"enqueue", func() error {
			return s.Enqueue(ctx, []bot.Message{keyed("e1", "job/a/1"), keyed("e2", "job/a/1"), keyed("e3", "job/a/2")})
		}},
		{"enqueue again", func() error {
			return s.Enqueue(ctx, []bot.Message{keyed("e4", "job/a/1"), keyed("e5", "job/a/2"), msg("e6", "telegram:1")})
		}},
		{"save session", func() error {
			return s.SaveSession(ctx, &bot.Session{Person: "a"}, []bot.Message{keyed("s1", "remind/a"), keyed("s2", "remind/a")})
		}},
		{"commit", func() error {
			p := proposal("TNMT-2026-001", "a", t0)
			return s.Commit(ctx, step(p, bot.Submit, bot.Submitted, t0, keyed("c1", "notice/TNMT-2026-001"), keyed("c2", "notice/TNMT-2026-001")))
		}},
	}
	for _, tc := range tests {
		if err := tc.send(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
	}
	got := ids(must[[]*bot.Envelope](t)(s.Claim(ctx, t0, time.Minute, 100)))
	sort.Strings(got)
	diff(t, "enqueued", []string{"c1", "e1", "e3", "e6", "s1"}, got)
	if w, _, _ := s.Depth(ctx); w != 5 {
		t.Errorf("waiting = %d, want 5", w)
	}
	marker := storage.MarkerKey(s, storage.ShardOf("job/a/1"), "job/a/1")
	if ttl := s.Client().PTTL(ctx, marker).Val(); ttl < 89*24*time.Hour || ttl > 90*24*time.Hour {
		t.Errorf("marker %s expires in %v, want 90 days", marker, ttl)
	}
}

func testOutboxClaimers(t *testing.T, s *storage.Store, _ *testClock) {
	const n = 300
	var msgs []bot.Message
	for i := range n {
		msgs = append(msgs, msg(fmt.Sprint("m", i), "telegram:1"))
	}
	if err := s.Enqueue(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		count = map[string]int{}
		wg    sync.WaitGroup
	)
	for range 6 {
		wg.Go(func() {
			for {
				got, err := s.Claim(ctx, t0, time.Hour, 7)
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, e := range got {
					count[e.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(count) != n {
		t.Errorf("claimed %d distinct messages, want %d", len(count), n)
	}
	for id, c := range count {
		if c != 1 {
			t.Errorf("%s claimed %d times", id, c)
		}
	}
}
