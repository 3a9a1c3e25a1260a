// Package weekchart draws counts over weeks as a PNG line chart, for the
// weekly digest (schedules). It knows nothing of proposals: the caller
// gives the words and the numbers.
package weekchart

import (
	"bytes"
	"fmt"
	"strconv"

	chart "github.com/wcharczuk/go-chart/v2"
)

// Chart is what to draw.
type Chart struct {
	Title string
	// Labels name the columns (weeks), oldest first.
	Labels []string
	// Series are the lines, each in the next default colour; a series
	// with no point above zero is left out.
	Series []Series
	// Empty names the flat line drawn when no series has anything.
	Empty string
}

// Series is one line: its name in the legend and its points.
type Series struct {
	Name string
	// Points are (column, count); a column without a point (a week nobody
	// counted) is a gap in the line's dots, not a zero.
	Points []Point
}

// Point is a count in a column.
type Point struct{ Column, Count int }

// Size of the picture, in pixels.
const (
	Width  = 900
	Height = 500
)

// PNG draws c.
func PNG(c Chart) ([]byte, error) {
	n := len(c.Labels)
	ticks := make([]chart.Tick, n)
	for i, label := range c.Labels {
		ticks[i] = chart.Tick{Value: float64(i), Label: label}
	}
	top := 1
	var series []chart.Series
	for i, s := range c.Series {
		var xs, ys []float64
		seen := false
		for _, pt := range s.Points {
			xs, ys = append(xs, float64(pt.Column)), append(ys, float64(pt.Count))
			top = max(top, pt.Count)
			seen = seen || pt.Count > 0
		}
		if !seen {
			continue
		}
		col := chart.GetDefaultColor(i)
		series = append(series, chart.ContinuousSeries{
			Name: s.Name, XValues: xs, YValues: ys,
			Style: chart.Style{StrokeColor: col, StrokeWidth: 2, DotColor: col, DotWidth: 3},
		})
	}
	if len(series) == 0 { // nothing to draw yet: an axis with zeros
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = float64(i)
		}
		series = append(series, chart.ContinuousSeries{Name: c.Empty, XValues: xs, YValues: make([]float64, n)})
	}
	var yticks []chart.Tick
	step := max(1, (top+1+4)/5)
	for v := 0; v <= top+1; v += step {
		yticks = append(yticks, chart.Tick{Value: float64(v), Label: strconv.Itoa(v)})
	}
	g := chart.Chart{
		Title:      c.Title,
		Width:      Width,
		Height:     Height,
		Background: chart.Style{Padding: chart.Box{Top: 60, Left: 20, Right: 20, Bottom: 20}},
		XAxis:      chart.XAxis{Range: &chart.ContinuousRange{Min: -0.5, Max: float64(n) - 0.5}, Ticks: ticks},
		YAxis:      chart.YAxis{Range: &chart.ContinuousRange{Min: 0, Max: float64(top + 1)}, Ticks: yticks},
		Series:     series,
	}
	g.Elements = []chart.Renderable{chart.Legend(&g)}
	var buf bytes.Buffer
	if err := g.Render(chart.PNG, &buf); err != nil {
		return nil, fmt.Errorf("weekchart: %w", err)
	}
	return buf.Bytes(), nil
}
