package schedules

import (
	"fmt"
	"runtime/debug"
	"slices"
	"strconv"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/sangkien/sangkien/bot"
)

// maxItems is how many items one job message lists: longer lists are split
// into parts, within every platform's limits on text and buttons.
const maxItems = 6

// Rendering is most of a large job's work, and each enqueue a round trip:
// the lists of batch people are rendered on up to renderers goroutines,
// then enqueued in one round trip (cmd/sangkien-bench -only jobs measures
// both).
const (
	renderers = 4
	batch     = 50
)

// item is one line of a list: its text and the buttons to act on it, in
// the words of each language.
type item struct {
	at   time.Time // for the order: oldest first
	top  bool      // listed before the others (a pilot needing attention)
	p    *bot.Proposal
	body func(w bot.Words, t *bot.RichText)
	btns func(w bot.Words) []bot.Button
}

// lists gathers a job's items by recipient, recipients in the order they
// first appear.
type lists struct {
	order []string
	items map[string][]item
}

// add lists it for each of people.
func (ls *lists) add(it item, people ...string) {
	if ls.items == nil {
		ls.items = map[string][]item{}
	}
	for _, person := range people {
		if _, ok := ls.items[person]; !ok {
			ls.order = append(ls.order, person)
		}
		ls.items[person] = append(ls.items[person], it)
	}
}

// format is how a job's lists read: a title for a person's items, and the
// catalog key of the line under the last part ("" for none).
type format struct {
	title func(w bot.Words, items []item) string
	foot  string
}

// sendLists sends each person of ls one message listing their items, the
// ones on top first, then oldest first, split into parts of maxItems.
func (j *run) sendLists(ls *lists, f format) error {
	for start := 0; start < len(ls.order); start += batch {
		people := ls.order[start:min(len(ls.order), start+batch)]
		out := make([][]bot.Message, len(people))
		var g errgroup.Group
		g.SetLimit(renderers)
		for i, person := range people {
			g.Go(recovered(func() error {
				out[i] = j.list(person, ls.items[person], f)
				return nil
			}))
		}
		if err := g.Wait(); err != nil {
			return err
		}
		if err := j.send(slices.Concat(out...)); err != nil {
			return err
		}
	}
	return nil
}

// recovered is f with a panic turned into its error: the job fails and is
// logged like any failed run, as cron.Recover does for the job's own
// goroutine, which a panic on another goroutine would bypass.
func recovered(f func() error) func() error {
	return func() (err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
			}
		}()
		return f()
	}
}

// list renders the messages listing items to person.
func (j *run) list(person string, items []item, f format) []bot.Message {
	if len(items) == 0 {
		return nil
	}
	slices.SortStableFunc(items, func(a, b item) int {
		if a.top != b.top {
			if a.top {
				return -1
			}
			return 1
		}
		return a.at.Compare(b.at)
	})
	var msgs []bot.Message
	parts := (len(items) + maxItems - 1) / maxItems
	for part := range parts {
		chunk := items[part*maxItems : min(len(items), (part+1)*maxItems)]
		key := j.key(person, "list-"+strconv.Itoa(part+1))
		msgs = append(msgs, j.e.Render([]string{"person:" + person}, key, func(w bot.Words) bot.Body {
			t := &bot.RichText{}
			t.Bold(f.title(w, items))
			if parts > 1 {
				t.Plain(" ").Italic(w.T("job.part", "N", part+1, "Of", parts))
			}
			t.Line()
			var rows [][]bot.Button
			for i, it := range chunk {
				t.Line().Plain(strconv.Itoa(part*maxItems+i+1), ". ").Code(it.p.ID).Plain(" ").Bold(it.p.Fields[bot.FieldTitle]).Line()
				it.body(w, t)
				t.Line()
				if it.btns != nil {
					row := it.btns(w)
					if len(items) > 1 { // several items: say which one a button acts on
						for k := range row {
							row[k].Label = it.p.ID + " · " + row[k].Label
						}
					}
					if len(row) > 0 {
						rows = append(rows, row)
					}
				}
			}
			if f.foot != "" && part == parts-1 {
				t.Line().Italic(w.T(f.foot))
			}
			return bot.Body{Text: t.Text, Buttons: rows}
		}))
	}
	return msgs
}

// ago renders how long ago at was, in whole days (hours below a day).
func (j *run) ago(w bot.Words, at time.Time) string { return w.Age(j.now.Sub(at)) }

// deadline renders where an item stands against a limit that started at
// since: overdue, due today, due tomorrow, or nothing yet.
func (j *run) deadline(w bot.Words, t *bot.RichText, since time.Time, limit time.Duration) {
	if limit <= 0 {
		return
	}
	due := since.Add(limit)
	loc := j.o.Location
	switch today := j.now.In(loc); {
	case !j.now.Before(due):
		over := j.ago(w, due)
		if j.now.Sub(due) < time.Hour {
			over = w.Days(time.Hour) // just past: say so, not "0 days"
		}
		t.Plain(" — ").Bold("⚠ " + w.T("job.overdue", "Limit", w.Days(limit), "Over", over))
	case sameDay(due.In(loc), today):
		t.Plain(" — ").Bold(w.T("job.due_today", "At", w.Clock(due)))
	case sameDay(due.In(loc), today.AddDate(0, 0, 1)):
		t.Plain(" — ").Bold(w.T("job.due_tomorrow", "At", w.Clock(due)))
	}
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}
