package web

import (
	"strconv"
	"strings"

	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/internal/export"
)

// The reader's workbook (Tải bảng tính): what the reader may read, in
// their language and in the words of the pages and of /history. People
// are named, never by an identity; times are in the org's zone. The
// operator's export (`sangkien export`, docs/rules/export.md) keeps its
// machine-readable schema.

// readerSheets lays out rd's items and their histories (hist, by id) as
// two sheets: one row per proposal, then one row per step.
func (s *Server) readerSheets(rd *bot.Reading, hist map[string][]bot.Event) []export.Sheet {
	w := rd.Words
	head := []string{w.T("web.col.id"), w.T("web.col.title"), w.T("web.col.unit"), w.T("web.col.proposer"), w.T("web.col.status"), w.T("web.xlsx.filed"), w.T("web.xlsx.updated")}
	for _, f := range bot.FormFields[1:] {
		head = append(head, w.T("field."+f))
	}
	head = append(head, w.T("web.xlsx.steps_n"), w.T("web.xlsx.head"))
	props := [][]string{head}
	steps := [][]string{{w.T("web.col.id"), w.T("web.xlsx.step"), w.T("web.xlsx.when"), w.T("web.xlsx.what"), w.T("web.xlsx.details"), w.T("web.xlsx.status_after"), w.T("web.xlsx.hash")}}
	for _, it := range rd.Items {
		p := it.Proposal
		evs := hist[p.ID]
		row := []string{p.ID, p.Fields[bot.FieldTitle], s.eng.UnitName(p.Unit), s.eng.ProposerName(w, p), w.T("status." + string(p.Status)), w.Time(p.Created), w.Time(p.Updated)}
		for _, f := range bot.FormFields[1:] {
			v := p.Fields[f]
			if f == bot.FieldKind && v != "" {
				v = w.T("kind." + v)
			}
			row = append(row, v)
		}
		props = append(props, append(row, strconv.Itoa(len(evs)), p.Head))
		for n, st := range s.eng.Steps(w, p.ID, evs) {
			ev := evs[n]
			var details []string
			for _, d := range st.Details {
				switch {
				case d.Label != "":
					details = append(details, d.Label+": "+d.Value)
				case d.Check:
					details = append(details, "✓ "+d.Value)
				default:
					details = append(details, d.Value)
				}
			}
			steps = append(steps, []string{p.ID, strconv.Itoa(ev.Seq), w.Time(ev.At), st.Sentence, strings.Join(details, "\n"), w.T("status." + string(ev.To)), ev.Hash})
		}
	}
	return []export.Sheet{{Name: w.T("web.xlsx.sheet_proposals"), Rows: props}, {Name: w.T("web.xlsx.sheet_steps"), Rows: steps}}
}
