package main

import (
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/sangkien/sangkien/bot"
)

// verify checks every chain and record; exit status 0 only when all hold.
func (e *env) verify() error {
	a, err := e.open()
	if err != nil {
		return err
	}
	defer a.close()
	n, brk, err := bot.VerifyAll(e.ctx, a.store)
	if err != nil {
		return err
	}
	if brk != nil {
		fmt.Fprintf(e.stdout, "BROKEN: %s\n", brk)
		fmt.Fprintf(e.stdout, "checked %d proposal(s) up to the first break\n", n)
		return errFailed
	}
	fmt.Fprintf(e.stdout, "ok: %d proposal(s), every hash chain and record intact\n", n)
	return nil
}

// exported is one proposal in `export --format json`.
type exported struct {
	ID       string        `json:"id"`
	Unit     string        `json:"unit"`
	Title    string        `json:"title"`
	Status   bot.Status    `json:"status"`
	Proposer string        `json:"proposer"`
	Fields   bot.Fields    `json:"fields"`
	Events   []exportEvent `json:"events"`
}

type exportEvent struct {
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

func (e *env) export(args []string) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	format := fs.String("format", "json", "json, csv or xlsx")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if *format != "json" && *format != "csv" && *format != "xlsx" {
		return fmt.Errorf("%w: --format json|csv|xlsx", errUsage)
	}
	a, err := e.open()
	if err != nil {
		return err
	}
	defer a.close()
	ids, err := a.store.AllProposals(e.ctx)
	if err != nil {
		return err
	}
	ps, err := a.store.Proposals(e.ctx, ids)
	if err != nil {
		return err
	}
	out := make([]exported, 0, len(ps))
	for _, p := range ps {
		if p == nil {
			continue
		}
		evs, err := a.store.Events(e.ctx, p.ID)
		if err != nil {
			return err
		}
		x := exported{ID: p.ID, Unit: p.Unit, Title: p.Fields[bot.FieldTitle], Status: p.Status, Proposer: p.Identity, Fields: p.Fields, Events: []exportEvent{}}
		for _, ev := range evs {
			x.Events = append(x.Events, exportEvent{ev.Seq, ev.At.UTC().Format(time.RFC3339Nano), ev.Actor, ev.Action, ev.From, ev.To, ev.Data, ev.PrevHash, ev.Hash})
		}
		out = append(out, x)
	}
	if *format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
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
	if *format == "xlsx" {
		return writeXLSX(e.stdout, rows, out)
	}
	w := csv.NewWriter(e.stdout)
	if err := w.WriteAll(rows); err != nil {
		return err
	}
	return w.Error()
}

// writeXLSX writes a workbook with a sheet of proposals (one row each, as
// the CSV) and a sheet of every event.
func writeXLSX(w io.Writer, rows [][]string, out []exported) error {
	f := excelize.NewFile()
	defer f.Close()
	const props, events = "proposals", "events"
	if err := f.SetSheetName("Sheet1", props); err != nil {
		return err
	}
	if _, err := f.NewSheet(events); err != nil {
		return err
	}
	put := func(sheet string, r int, vals []string) error {
		cell, err := excelize.CoordinatesToCellName(1, r)
		if err != nil {
			return err
		}
		row := make([]any, len(vals))
		for i, v := range vals {
			row[i] = v
		}
		return f.SetSheetRow(sheet, cell, &row)
	}
	for i, r := range rows {
		if err := put(props, i+1, r); err != nil {
			return err
		}
	}
	n := 1
	if err := put(events, n, []string{"id", "seq", "at", "actor", "action", "from", "to", "data", "prev_hash", "hash"}); err != nil {
		return err
	}
	for _, x := range out {
		for _, ev := range x.Events {
			data, _ := json.Marshal(ev.Data)
			n++
			if err := put(events, n, []string{x.ID, strconv.Itoa(ev.Seq), ev.At, ev.Actor, string(ev.Action), string(ev.From), string(ev.To), string(data), ev.PrevHash, ev.Hash}); err != nil {
				return err
			}
		}
	}
	return f.Write(w)
}

// outbox lists parked messages, or sends one again.
func (e *env) outbox(args []string) error {
	a, err := e.open()
	if err != nil {
		return err
	}
	defer a.close()
	switch {
	case len(args) == 2 && args[0] == "retry":
		if err := a.store.Unpark(e.ctx, args[1], time.Now()); err != nil {
			return fmt.Errorf("retry %s: %w", args[1], err)
		}
		fmt.Fprintf(e.stdout, "%s: queued again; a running serve delivers it\n", args[1])
		return nil
	case len(args) != 0:
		return fmt.Errorf("%w: sangkien outbox [retry ID]", errUsage)
	}
	waiting, parked, err := a.store.Depth(e.ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "waiting: %d, parked: %d\n", waiting, parked)
	list, err := a.store.Parked(e.ctx)
	if err != nil {
		return err
	}
	for _, m := range list {
		fmt.Fprintf(e.stdout, "%s  queued %s  to %v  attempts %d\n    reason: %s\n    text: %.120q\n", m.ID, m.Queued.Format(time.RFC3339), m.To, m.Attempts, m.Err, m.Text.String())
	}
	return nil
}
