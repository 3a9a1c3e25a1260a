// Package export lays out proposals and their histories as the rows and
// workbook that `sangkien export` writes and the web register's download
// sends (of what its reader may read), so both give the same columns.
package export

import (
	"encoding/json"
	"io"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/sangkien/sangkien/bot"
)

// Proposal is one proposal with its history, as exported.
type Proposal struct {
	ID       string     `json:"id"`
	Unit     string     `json:"unit"`
	Title    string     `json:"title"`
	Status   bot.Status `json:"status"`
	Proposer string     `json:"proposer"`
	Fields   bot.Fields `json:"fields"`
	Events   []Event    `json:"events"`
}

// Event is one event of a history, as exported.
type Event struct {
	Seq      int               `json:"seq"`
	At       string            `json:"at"`
	Actor    string            `json:"actor"`
	Action   bot.Action        `json:"action"`
	From     bot.Status        `json:"from"`
	To       bot.Status        `json:"to"`
	Data     map[string]string `json:"data"`
	PrevHash string            `json:"prev_hash"`
	Hash     string            `json:"hash"`
}

// Of is p with its events, as exported.
func Of(p *bot.Proposal, evs []bot.Event) Proposal {
	x := Proposal{ID: p.ID, Unit: p.Unit, Title: p.Fields[bot.FieldTitle], Status: p.Status, Proposer: p.Identity, Fields: p.Fields, Events: []Event{}}
	for _, ev := range evs {
		x.Events = append(x.Events, Event{ev.Seq, ev.At.UTC().Format(time.RFC3339Nano), ev.Actor, ev.Action, ev.From, ev.To, ev.Data, ev.PrevHash, ev.Hash})
	}
	return x
}

// Collect is ps (nil entries skipped) with their histories, by id.
func Collect(ps []*bot.Proposal, hist map[string][]bot.Event) []Proposal {
	out := make([]Proposal, 0, len(ps))
	for _, p := range ps {
		if p != nil {
			out = append(out, Of(p, hist[p.ID]))
		}
	}
	return out
}

// Rows is one row per proposal under a header row: the CSV, and the
// workbook's first sheet.
func Rows(out []Proposal) [][]string {
	rows := [][]string{append([]string{"id", "unit", "title", "status", "proposer", "events", "first_at", "last_at", "head"}, bot.FormFields[1:]...)}
	for _, x := range out {
		first, last, headHash := "", "", ""
		if n := len(x.Events); n > 0 {
			first, last, headHash = x.Events[0].At, x.Events[n-1].At, x.Events[n-1].Hash
		}
		row := []string{x.ID, x.Unit, x.Title, string(x.Status), x.Proposer, strconv.Itoa(len(x.Events)), first, last, headHash}
		for _, f := range bot.FormFields[1:] {
			row = append(row, x.Fields[f])
		}
		rows = append(rows, row)
	}
	return rows
}

// XLSX writes a workbook with a sheet of proposals (one row each, as
// Rows) and a sheet of every event.
func XLSX(w io.Writer, out []Proposal) error {
	events := [][]string{{"id", "seq", "at", "actor", "action", "from", "to", "data", "prev_hash", "hash"}}
	for _, x := range out {
		for _, ev := range x.Events {
			data, _ := json.Marshal(ev.Data)
			events = append(events, []string{x.ID, strconv.Itoa(ev.Seq), ev.At, ev.Actor, string(ev.Action), string(ev.From), string(ev.To), string(data), ev.PrevHash, ev.Hash})
		}
	}
	return Workbook(w, Sheet{"proposals", Rows(out)}, Sheet{"events", events})
}

// Sheet is one sheet of a workbook: its name and its rows, the header
// first.
type Sheet struct {
	Name string
	Rows [][]string
}

// Workbook writes sheets as an XLSX workbook; every cell is text, and the
// header row is bold and stays in view.
func Workbook(w io.Writer, sheets ...Sheet) error {
	f := excelize.NewFile()
	defer f.Close()
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	for i, sh := range sheets {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", sh.Name); err != nil {
				return err
			}
		} else if _, err := f.NewSheet(sh.Name); err != nil {
			return err
		}
		sw, err := f.NewStreamWriter(sh.Name)
		if err != nil {
			return err
		}
		if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
			return err
		}
		for r, vals := range sh.Rows {
			row := make([]any, len(vals))
			for c, v := range vals {
				if r == 0 {
					row[c] = excelize.Cell{StyleID: bold, Value: v}
				} else {
					row[c] = v
				}
			}
			cell, err := excelize.CoordinatesToCellName(1, r+1)
			if err != nil {
				return err
			}
			if err := sw.SetRow(cell, row); err != nil {
				return err
			}
		}
		if err := sw.Flush(); err != nil {
			return err
		}
	}
	return f.Write(w)
}
