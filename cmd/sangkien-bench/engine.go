package main

import (
	"context"
	"fmt"
	"log"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/org"
	"github.com/sangkien/sangkien/storage"
)

// benchOrg is an org of units units, each with a leader and cadres cadres.
func benchOrg(units, cadres int) *org.Org {
	var b strings.Builder
	b.WriteString("name: bench\ntimezone: Asia/Ho_Chi_Minh\nlanguage: vi\npeople:\n")
	for u := range units {
		fmt.Fprintf(&b, "  - {id: l%d, name: \"Leader %d\", identities: [\"console:l%d\"]}\n", u, u, u)
		for c := range cadres {
			fmt.Fprintf(&b, "  - {id: c%d-%d, name: \"Cadre %d-%d\", identities: [\"console:c%d-%d\"]}\n", u, c, u, c, u, c)
		}
	}
	b.WriteString("units:\n")
	for u := range units {
		fmt.Fprintf(&b, "  - {id: u%d, code: U%d, name: \"Unit %d\", leaders: [l%d], members: [", u, u, u, u)
		for c := range cadres {
			if c > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "c%d-%d", u, c)
		}
		b.WriteString("]}\n")
	}
	o, err := org.Parse("bench.yaml", []byte(b.String()))
	if err != nil {
		log.Fatal(err)
	}
	return o
}

const oneMessage = "/propose\nTitle: Online land registration\nProblem: Registration needs three paper visits\nKind: unregulated\nSolution: Accept scanned documents through the provincial portal\nBenefit: Citizens save two trips\nScope: One district\nRisks: Forged scans; originals checked"

type rate struct {
	rate     float64
	p50, p99 time.Duration
}

// throughput runs chats concurrent chats for d: each files proposals
// through the guided form and in one message, and each unit's leader
// decides on them. It returns updates handled per second and latencies.
func throughput(ctx context.Context, rdb *redis.Client, chats int, d time.Duration) rate {
	rdb.FlushDB(ctx)
	o := benchOrg(chats, 1)
	st := storage.New(rdb)
	e, err := bot.New(bot.Config{Org: o, Store: st})
	if err != nil {
		log.Fatal(err)
	}
	var updates atomic.Int64
	lat := make([][]time.Duration, chats)
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for i := range chats {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cadre, leader := fmt.Sprintf("console:c%d-0", i), fmt.Sprintf("console:l%d", i)
			seq := 0
			send := func(who, text, button string) {
				seq++
				in := bot.Input{Platform: "console", UpdateID: fmt.Sprintf("%d-%d", i, seq), Chat: who, Sender: who, Text: text, Button: button}
				t0 := time.Now()
				if err := e.Handle(ctx, in); err != nil {
					log.Fatal(err)
				}
				lat[i] = append(lat[i], time.Since(t0))
				updates.Add(1)
			}
			for n := 1; time.Now().Before(deadline); n++ {
				if n%2 == 0 { // the guided form, one field at a time
					send(cadre, "/propose", "")
					for _, v := range []string{"Title", "Problem"} {
						send(cadre, v, "")
					}
					send(cadre, "", "f|kind|unregulated")
					for _, v := range []string{"Solution", "Benefit", "Scope", "Risks", "-"} {
						send(cadre, v, "")
					}
				} else {
					send(cadre, oneMessage, "")
				}
				send(cadre, "", "f|yes")
				send(cadre, "", "f|yes")
				send(cadre, "", "f|submit")
				id := bot.FormatID(fmt.Sprintf("U%d", i), time.Now().Year(), n)
				send(leader, "", bot.ButtonData(bot.Reject, id))
				send(leader, "Out of remit", "")
			}
		}()
	}
	start := time.Now()
	wg.Wait()
	el := time.Since(start)
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	return rate{rate: float64(updates.Load()) / el.Seconds(), p50: all[len(all)/2], p99: all[len(all)*99/100]}
}

type rtRow struct {
	kind string
	n    int64
}

// roundTrips handles one update of each kind and counts its round trips
// (after one warm-up so scripts are cached, as in steady state).
func roundTrips(ctx context.Context, rdb *redis.Client) []rtRow {
	rdb.FlushDB(ctx)
	opt := rdb.Options()
	c := &counter{}
	counted := redis.NewClient(opt)
	defer counted.Close()
	counted.AddHook(c)
	o := benchOrg(1, 1)
	e, err := bot.New(bot.Config{Org: o, Store: storage.New(counted)})
	if err != nil {
		log.Fatal(err)
	}
	seq := 0
	handle := func(who, text, button string) int64 {
		seq++
		before := c.n.Load()
		if err := e.Handle(ctx, bot.Input{Platform: "console", UpdateID: strconv.Itoa(seq), Chat: who, Sender: who, Text: text, Button: button}); err != nil {
			log.Fatal(err)
		}
		return c.n.Load() - before
	}
	cadre, leader := "console:c0-0", "console:l0"
	var rows []rtRow
	for pass := range 2 {
		year := time.Now().Year()
		r := []rtRow{
			{"command (/help)", handle(cadre, "/help", "")},
			{"guided form: start", handle(cadre, "/propose", "")},
			{"guided form: a field", handle(cadre, "Title", "")},
			{"guided form: cancel", handle(cadre, "/cancel", "")},
			{"one-message proposal", handle(cadre, oneMessage, "")},
			{"attestation button", handle(cadre, "", "f|yes")},
		}
		handle(cadre, "", "f|yes")
		r = append(r, rtRow{"submit (allocates the id)", handle(cadre, "", "f|submit")})
		id := bot.FormatID("U0", year, pass+1)
		r = append(r, rtRow{"decision button (asks the reason)", handle(leader, "", bot.ButtonData(bot.Reject, id))})
		r = append(r, rtRow{"decision: the last answer, recorded", handle(leader, "Out of remit", "")})
		r = append(r, rtRow{"button pressed twice (refused)", handle(leader, "", bot.ButtonData(bot.Reject, id))})
		rows = r
	}
	return rows
}

// The fields of every proposal the bench seeds.
var benchFields = map[string]string{bot.FieldTitle: "Online land registration", bot.FieldProblem: "Registration needs three paper visits", bot.FieldKind: bot.KindUnregulated,
	bot.FieldSolution: "Accept scanned documents through the provincial portal", bot.FieldBenefit: "Citizens save two trips", bot.FieldScope: "One district",
	bot.FieldRisks: "Forged scans; originals checked", bot.AttestConstitution: "yes", bot.AttestNoInterest: "yes"}

// pilotDue is the engine's due times of a pilot (report and end), as
// Engine.dueOf sets them, so that seeded pilots weigh what real ones do.
func pilotDue(p *bot.Proposal, loc *time.Location) map[string]time.Time {
	due := map[string]time.Time{bot.DueReview: {}, bot.DueReport: p.ReportPeriodStart().Add(p.Pilot.Cadence)}
	if end, err := time.ParseInLocation("2006-01-02", p.Pilot.End, loc); err == nil {
		due[bot.DueEnd] = end.AddDate(0, 0, 1)
	}
	return due
}

type memRow struct {
	proposals, units, perUnit int
	bytes                     float64
	record, events            int64
}

// memoryPerProposal files n proposals with 10 events each (submit,
// approve_pilot, 8 reports) through Store.Commit, with the due times the
// engine sets, spread over units (perUnit proposals each, one proposer
// each), and divides the growth of used_memory by n. It also reads what a
// record and a history take (MEMORY USAGE).
func memoryPerProposal(ctx context.Context, rdb *redis.Client, n, perUnit int) memRow {
	rdb.FlushDB(ctx)
	st := storage.New(rdb)
	loc, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	before := info(ctx, rdb, "memory", "used_memory")
	now := time.Now()
	var lastID string
	for i := range n {
		u := i / perUnit
		code, proposer := fmt.Sprintf("U%d", u), fmt.Sprintf("c%d-0", u)
		num, err := st.Reserve(ctx, code, now.Year(), proposer)
		if err != nil {
			log.Fatal(err)
		}
		id := bot.FormatID(code, now.Year(), num)
		fields := map[string]string{bot.DataUnit: fmt.Sprintf("u%d", u), bot.DataProposer: proposer}
		for k, v := range benchFields {
			fields[k] = v
		}
		var p *bot.Proposal
		step := func(a bot.Action, actor string, data map[string]string) {
			np, ev, err := bot.Step(p, id, a, actor, now, data)
			if err != nil {
				log.Fatalf("%s: %v", a, err)
			}
			from := bot.Draft
			if p != nil {
				from = p.Status
			}
			c := &bot.Commit{Proposal: np, Event: ev, From: from}
			if np.Status == bot.Submitted {
				c.Due = map[string]time.Time{bot.DueReview: np.Since}
			} else {
				c.Due = pilotDue(np, loc)
			}
			if err := st.Commit(ctx, c); err != nil {
				log.Fatal(err)
			}
			p = np
		}
		step(bot.Submit, "console:"+proposer, fields)
		step(bot.ApprovePilot, fmt.Sprintf("console:l%d", u), map[string]string{bot.DataEnd: "2027-06-30", bot.DataCadence: "336h0m0s", bot.DataConditions: "Monthly review"})
		for r := range 8 {
			step(bot.Report, "console:"+proposer, map[string]string{bot.DataText: fmt.Sprintf("Progress report %d: 40 applications received online", r)})
		}
		lastID = id
	}
	row := memRow{proposals: n, units: (n + perUnit - 1) / perUnit, perUnit: perUnit,
		bytes: float64(info(ctx, rdb, "memory", "used_memory")-before) / float64(n)}
	keys, _ := rdb.Keys(ctx, "*p:"+lastID+"*").Result()
	for _, k := range keys {
		m := rdb.MemoryUsage(ctx, k, 0).Val()
		if strings.HasSuffix(k, ":ev") {
			row.events = m
		} else {
			row.record = m
		}
	}
	return row
}
