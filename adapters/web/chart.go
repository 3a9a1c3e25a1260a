package web

import (
	"strconv"
	"time"

	"github.com/sangkien/sangkien/bot"
)

// chart is a unit's weekly flow, laid out for inline SVG drawn on the
// server (no script): for each of the last weeks, bars of the proposals
// filed, approved for a pilot, and closed that week.
type chart struct {
	Width, Height int
	Bars          []bar
	Labels        []label
	Grid          []label
	Title         string
}

type bar struct {
	X, Y, W, H int
	Class      string
	Title      string // the count and what it counts, for a tooltip and screen readers
}

type label struct {
	X, Y int
	Text string
}

// chartWeeks is how many weeks the chart shows.
const chartWeeks = 12

// weeklyChart lays out the flow of items over the chartWeeks weeks up to
// now, weeks starting on Monday in the org's time zone.
func weeklyChart(words bot.Words, items []bot.Item, now time.Time, tz *time.Location) chart {
	now = now.In(tz)
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, tz)
	monday := day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
	first := monday.AddDate(0, 0, -7*(chartWeeks-1))
	week := func(t time.Time) int {
		if t.IsZero() || t.Before(first) {
			return -1
		}
		w := int(t.In(tz).Sub(first).Hours() / (24 * 7))
		if w >= chartWeeks {
			return -1
		}
		return w
	}
	var counts [3][chartWeeks]int
	for _, it := range items {
		if w := week(it.Created); w >= 0 {
			counts[0][w]++
		}
		if it.Pilot != nil {
			if w := week(it.Pilot.Approved); w >= 0 {
				counts[1][w]++
			}
		}
		if it.Status.Terminal() {
			if w := week(it.Proposal.Since); w >= 0 {
				counts[2][w]++
			}
		}
	}
	top := 1
	for _, s := range counts {
		for _, n := range s {
			top = max(top, n)
		}
	}
	const (
		left, right, upper, lower = 34, 8, 12, 36
		slot                      = 48
		height                    = 200
	)
	c := chart{Width: left + chartWeeks*slot + right, Height: height, Title: words.T("web.unit.chart")}
	plot := height - upper - lower
	for g := 0; g <= 2; g++ {
		v := top * g / 2
		c.Grid = append(c.Grid, label{X: left - 4, Y: upper + plot - plot*v/top, Text: strconv.Itoa(v)})
	}
	names := []string{words.T("web.unit.filed"), words.T("web.unit.approved"), words.T("web.unit.closed")}
	classes := []string{"filed", "approved", "closed"}
	for w := range chartWeeks {
		x0 := left + w*slot + 6
		for s := range 3 {
			n := counts[s][w]
			h := plot * n / top
			c.Bars = append(c.Bars, bar{X: x0 + s*12, Y: upper + plot - h, W: 11, H: h, Class: classes[s],
				Title: names[s] + ": " + strconv.Itoa(n) + " — " + words.T("web.unit.week") + " " + words.Time(first.AddDate(0, 0, 7*w))})
		}
		if w%2 == 0 {
			c.Labels = append(c.Labels, label{X: x0 + 18, Y: height - lower + 22, Text: first.AddDate(0, 0, 7*w).Format("02/01")})
		}
	}
	return c
}
