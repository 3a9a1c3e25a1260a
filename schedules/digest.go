package schedules

import (
	"cmp"
	"slices"
	"strconv"
	"time"

	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/internal/weekchart"
	"github.com/sangkien/sangkien/org"
)

// chartStatuses are the statuses the digest counts and charts.
var chartStatuses = []bot.Status{bot.Submitted, bot.RevisionRequested, bot.Piloting, bot.Suspended, bot.Completed, bot.Stopped, bot.Rejected, bot.Withdrawn}

// weeks is how many weeks the digest's chart shows.
const weeks = 12

// digest sends each unit's group channels its week: counts by status, the
// week's new, approved, completed and stopped proposals, the chain heads
// of every proposal of the unit (witnesses of the history), and a chart of
// the last twelve weeks. Group channels read the org's language.
func (j *run) digest() error {
	loc := j.o.Location
	end := j.now.In(loc)
	start := end.AddDate(0, 0, -7)
	w := j.e.Words(cmp.Or(j.o.Language, bot.Languages[0]))
	for i := range j.o.Units {
		u := &j.o.Units[i]
		counts, err := j.r.Store.CountByStatus(j.ctx, u.Code)
		if err != nil {
			return err
		}
		if err := j.r.Store.SaveWeek(j.ctx, u.Code, Week(j.firing, loc), counts); err != nil {
			return err
		}
		if len(u.Channels) == 0 {
			continue
		}
		changed, err := j.r.Store.Changed(j.ctx, u.Code, start)
		if err != nil {
			return err
		}
		recent, err := j.load(changed)
		if err != nil {
			return err
		}
		var newN, approved, completed, stopped int
		for _, p := range recent {
			if !p.Created.Before(start) {
				newN++
			}
			if p.Pilot != nil && !p.Pilot.Approved.Before(start) {
				approved++
			}
			switch p.Status {
			case bot.Completed:
				completed++
			case bot.Stopped:
				stopped++
			}
		}
		all, err := j.r.Store.ByStatus(j.ctx, u.Code)
		if err != nil {
			return err
		}
		slices.Sort(all)
		ps, err := j.load(all)
		if err != nil {
			return err
		}
		j.rep.Items += len(ps)
		cols := j.columns()
		names := make([]string, len(cols))
		for i, at := range cols {
			names[i] = Week(at, loc)
		}
		hist, err := j.r.Store.Weeks(j.ctx, u.Code, names)
		if err != nil {
			return err
		}
		png, err := j.chart(w, u, cols, hist)
		if err != nil { // the digest goes without its picture
			j.log.Warn("digest: chart", "unit", u.Code, "err", err)
		}
		var parts []bot.Text
		t := &bot.RichText{}
		t.Bold(w.T("job.digest.title", "Unit", u.Name, "From", w.Date(start.Format("2006-01-02")), "To", w.Date(end.Format("2006-01-02")))).Line()
		t.Line().Bold(w.T("job.digest.counts")).Line()
		total := 0
		for _, st := range chartStatuses {
			if n := counts[st]; n > 0 {
				t.Plain("• ", w.T("status."+string(st)), ": ", strconv.Itoa(n)).Line()
				total += n
			}
		}
		if total == 0 {
			t.Italic(w.T("job.digest.none")).Line()
		}
		t.Line().Plain(w.T("job.digest.week", "New", newN, "Approved", approved, "Completed", completed, "Stopped", stopped)).Line()
		if len(ps) > 0 {
			t.Line().Bold(w.T("job.digest.heads")).Line()
		}
		for _, p := range ps {
			if len(t.Text) > 0 && len(t.Text.String()) > 3000 {
				parts = append(parts, t.Text)
				t = &bot.RichText{}
				t.Italic(w.T("job.digest.more", "Unit", u.Name)).Line()
			}
			t.Code(p.ID).Plain(" #", strconv.Itoa(p.Version), " ").Code(p.Head).Line()
		}
		if len(ps) > 0 {
			t.Italic(w.T("job.digest.verify"))
		}
		if j.r.KeyFingerprint != "" {
			t.Line().Plain(w.T("certpdf.digest_key")).Plain(" ").Code(j.r.KeyFingerprint)
		}
		parts = append(parts, t.Text)
		var msgs []bot.Message
		for _, ch := range u.Channels {
			for n, text := range parts {
				m := bot.Message{ID: bot.NewMessageID(), To: []string{ch}, Text: text, Key: j.key(ch, u.Code+"-"+strconv.Itoa(n+1))}
				if n == 0 {
					m.Image = png
				}
				msgs = append(msgs, m)
			}
		}
		if err := j.send(msgs); err != nil {
			return err
		}
	}
	return nil
}

// columns are the firings of the weeks the chart shows, oldest first.
func (j *run) columns() []time.Time {
	out := make([]time.Time, weeks)
	for i := range out {
		out[i] = j.firing.AddDate(0, 0, -7*(weeks-1-i)).In(j.o.Location)
	}
	return out
}

// chart draws unit u's proposals by status over the weeks of cols from
// their counts hist, in w's words; weeks the digest did not count (nil)
// are left out.
func (j *run) chart(w bot.Words, u *org.Unit, cols []time.Time, hist []map[bot.Status]int) ([]byte, error) {
	c := weekchart.Chart{Title: u.Name + " — " + w.T("job.digest.chart"), Empty: w.T("job.digest.none")}
	for _, at := range cols {
		label := at.Format("02/01")
		if w.Lang() != "vi" {
			label = at.Format("Jan 2")
		}
		c.Labels = append(c.Labels, label)
	}
	for _, st := range chartStatuses {
		s := weekchart.Series{Name: w.T("status." + string(st))}
		for col, counts := range hist {
			if counts != nil {
				s.Points = append(s.Points, weekchart.Point{Column: col, Count: counts[st]})
			}
		}
		c.Series = append(c.Series, s)
	}
	return weekchart.PNG(c)
}
