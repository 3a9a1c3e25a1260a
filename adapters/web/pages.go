package web

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/internal/export"
	"github.com/sangkien/sangkien/org"
)

// filter is the filter form of the list pages: by status, unit and year,
// and words of the title.
type filter struct {
	Status string
	Unit   string
	Year   string
	Q      string
}

func filterOf(r *http.Request) filter {
	q := r.URL.Query()
	return filter{Status: q.Get("status"), Unit: q.Get("unit"), Year: q.Get("year"), Q: strings.TrimSpace(q.Get("q"))}
}

func (f filter) keep(it bot.Item) bool {
	if f.Status != "" && string(it.Status) != f.Status {
		return false
	}
	if f.Unit != "" && it.Unit != f.Unit {
		return false
	}
	if f.Year != "" && !strings.Contains(it.ID, "-"+f.Year+"-") {
		return false
	}
	if f.Q != "" && !strings.Contains(strings.ToLower(it.Fields[bot.FieldTitle]), strings.ToLower(f.Q)) {
		return false
	}
	return true
}

// row is one proposal in a list.
type row struct {
	bot.Item
	Unit     string
	Proposer string
	Status   string
	Since    string
	Due      string
	Health   bot.Text
}

// list is one table of a list page.
type list struct {
	Title string
	Empty string
	Rows  []row
}

// listPage is the data of a list page.
type listPage struct {
	Filter   filter
	Statuses []choice
	Units    []choice
	Years    []string
	Lists    []list
	Path     string
}

type choice struct{ Value, Label string }

func (s *Server) rows(rd *bot.Reading, items []bot.Item, f filter) []row {
	w := rd.Words
	var out []row
	for _, it := range items {
		if !f.keep(it) {
			continue
		}
		rw := row{Item: it, Health: it.Health, Unit: s.eng.UnitName(it.Proposal.Unit), Proposer: s.eng.ProposerName(w, it.Proposal), Status: w.T("status." + string(it.Status)), Since: w.Time(it.Proposal.Since)}
		if !it.Due.IsZero() {
			rw.Due = w.Time(it.Due)
		}
		out = append(out, rw)
	}
	return out
}

// read reads the reader's register, or answers the failure.
func (s *Server) read(w http.ResponseWriter, r *http.Request, sess *session) *bot.Reading {
	rd, err := s.eng.WebRead(r.Context(), s.input(sess, ""))
	if err != nil {
		s.failErr(w, r, s.words(r), err)
		return nil
	}
	return rd
}

func (s *Server) pageOf(rd *bot.Reading, sess *session, nav, title string) page {
	return page{W: rd.Words, Title: title, Name: rd.Name, Leader: rd.Leader(), CSRF: sess.CSRF, Nav: nav}
}

func (s *Server) listPage(w http.ResponseWriter, r *http.Request, sess *session, rd *bot.Reading, nav, title string, lists ...list) {
	f := filterOf(r)
	lp := listPage{Filter: f, Lists: lists, Path: "/" + nav}
	words := rd.Words
	for _, st := range bot.Statuses[1:] {
		lp.Statuses = append(lp.Statuses, choice{string(st), words.T("status." + string(st))})
	}
	var units, years []string
	for _, it := range rd.Items {
		if !slices.Contains(units, it.Proposal.Unit) {
			units = append(units, it.Proposal.Unit)
		}
		if p := strings.Split(it.ID, "-"); len(p) == 3 && !slices.Contains(years, p[1]) {
			years = append(years, p[1])
		}
	}
	for _, u := range units {
		lp.Units = append(lp.Units, choice{u, s.eng.UnitName(u)})
	}
	slices.Sort(years)
	lp.Years = years
	p := s.pageOf(rd, sess, nav, title)
	p.Data = lp
	s.render(w, http.StatusOK, "list.html", p)
}

func (s *Server) mine(w http.ResponseWriter, r *http.Request, sess *session) {
	rd := s.read(w, r, sess)
	if rd == nil {
		return
	}
	var mine []bot.Item
	for _, it := range rd.Items {
		if it.Mine {
			mine = append(mine, it)
		}
	}
	words := rd.Words
	s.listPage(w, r, sess, rd, "mine", words.T("web.mine.title"),
		list{Empty: words.T("web.mine.empty"), Rows: s.rows(rd, mine, filterOf(r))})
}

// leader refuses a reader who leads no unit.
func (s *Server) leader(w http.ResponseWriter, r *http.Request, rd *bot.Reading) bool {
	if !rd.Leader() {
		s.fail(w, r, http.StatusForbidden, rd.Words, rd.Words.T("web.leaders_only"))
		return false
	}
	return true
}

func (s *Server) pending(w http.ResponseWriter, r *http.Request, sess *session) {
	rd := s.read(w, r, sess)
	if rd == nil || !s.leader(w, r, rd) {
		return
	}
	var items []bot.Item
	for _, it := range rd.Items {
		if it.InCharge && it.Status == bot.Submitted {
			items = append(items, it) // oldest first, as WebRead orders them
		}
	}
	words := rd.Words
	s.listPage(w, r, sess, rd, "pending", words.T("web.pending.title"),
		list{Empty: words.T("web.pending.empty"), Rows: s.rows(rd, items, filterOf(r))})
}

func (s *Server) pilots(w http.ResponseWriter, r *http.Request, sess *session) {
	rd := s.read(w, r, sess)
	if rd == nil || !s.leader(w, r, rd) {
		return
	}
	var mine, below []bot.Item
	for _, it := range rd.Items {
		switch {
		case it.InCharge && (it.Status == bot.Piloting || it.Status == bot.Suspended):
			mine = append(mine, it)
		case !it.InCharge && !it.Mine:
			below = append(below, it)
		}
	}
	words := rd.Words
	f := filterOf(r)
	pl := list{Title: words.T("web.pilots.title"), Empty: words.T("web.pilots.empty"), Rows: s.rows(rd, mine, f)}
	s.listPage(w, r, sess, rd, "pilots", words.T("web.nav.pilots"), pl,
		list{Title: words.T("web.pilots.oversight"), Empty: words.T("web.pilots.oversight_empty"), Rows: s.rows(rd, below, f)})
}

// timelineEntry is one step of a proposal's history.
type timelineEntry struct {
	Seq      int
	At       string
	Action   string
	Sentence string // who did what, to whom
	Change   string // from → to
	Details  []bot.Detail
	Hash     string
}

type pair struct{ Label, Value string }

type proposalPage struct {
	V        *bot.ProposalView
	Row      row
	Fields   []pair
	Timeline []timelineEntry
	Actions  []action
	Done     bool
}

type action struct {
	Label string
	Path  string
}

func (s *Server) proposal(w http.ResponseWriter, r *http.Request, sess *session) {
	rd := s.read(w, r, sess)
	if rd == nil {
		return
	}
	v, err := s.eng.WebProposal(r.Context(), s.input(sess, rd.Last), r.PathValue("id"))
	if err != nil {
		s.failErr(w, r, rd.Words, err)
		return
	}
	words := v.Words
	pp := proposalPage{V: v, Done: r.URL.Query().Get("done") == "1"}
	pp.Row = s.rows(rd, []bot.Item{v.Item}, filter{})[0]
	for _, name := range bot.FormFields[1:] {
		val := v.Fields[name]
		if val == "" { // the duration is optional; /show leaves it out too
			continue
		}
		if name == bot.FieldKind {
			val = words.T("kind." + val)
		}
		pp.Fields = append(pp.Fields, pair{words.T("field." + name), val})
	}
	// The steps read as /history tells them (bot.Engine.describe): who did
	// what, to whom, and what was decided or said.
	steps := s.eng.Steps(words, v.ID, v.Events) // as /history tells them
	for n, ev := range v.Events {
		st := steps[n]
		te := timelineEntry{Seq: ev.Seq, At: words.Time(ev.At), Action: words.T("action." + string(ev.Action)), Sentence: st.Sentence, Details: st.Details, Hash: ev.Hash[:16]}
		if ev.From != ev.To && ev.From != bot.Draft {
			te.Change = words.T("status."+string(ev.From)) + " → " + words.T("status."+string(ev.To))
		} else if ev.From != ev.To {
			te.Change = words.T("status." + string(ev.To))
		}
		pp.Timeline = append(pp.Timeline, te)
	}
	for _, b := range v.Buttons {
		verb, _, _ := bot.DecodeButton(b.Data)
		pp.Actions = append(pp.Actions, action{Label: b.Label, Path: "/p/" + v.ID + "/" + verb})
	}
	p := s.pageOf(rd, sess, "", v.ID)
	if pp.Done {
		p.Message = words.T("web.done")
	}
	p.Data = pp
	s.render(w, http.StatusOK, "proposal.html", p)
}

// formPage is an action's form.
type formPage struct {
	ID     string
	Form   bot.Form
	Errors bot.FieldErrors
	Values map[string]string
	Nonce  string
	Path   string
}

// buttonOf is the button data of verb on the proposal, when the reader's
// view offers it; "" otherwise.
func (s *Server) buttonOf(r *http.Request, sess *session, rd *bot.Reading) (string, *bot.ProposalView, error) {
	v, err := s.eng.WebProposal(r.Context(), s.input(sess, rd.Last), r.PathValue("id"))
	if err != nil {
		return "", nil, err
	}
	for _, b := range v.Buttons {
		if verb, _, _ := bot.DecodeButton(b.Data); verb == r.PathValue("verb") {
			return b.Data, v, nil
		}
	}
	return "", v, nil
}

// action reads the reader's register and the proposal's button of the
// path's verb ("" when the reader's view does not offer it), or answers
// the failure and reports false.
func (s *Server) action(w http.ResponseWriter, r *http.Request, sess *session) (*bot.Reading, string, *bot.ProposalView, bool) {
	rd := s.read(w, r, sess)
	if rd == nil {
		return nil, "", nil, false
	}
	data, v, err := s.buttonOf(r, sess, rd)
	if err != nil {
		s.failErr(w, r, rd.Words, err)
		return nil, "", nil, false
	}
	return rd, data, v, true
}

func (s *Server) actionPage(w http.ResponseWriter, r *http.Request, sess *session) {
	if rd, data, v, ok := s.action(w, r, sess); ok {
		s.showForm(w, r, sess, rd, v, data, nil, nil, newNonce())
	}
}

func (s *Server) showForm(w http.ResponseWriter, r *http.Request, sess *session, rd *bot.Reading, v *bot.ProposalView, data string, errs bot.FieldErrors, values map[string]string, nonce string) {
	if data == "" {
		s.fail(w, r, http.StatusForbidden, rd.Words, rd.Words.T("web.proposal.readonly"))
		return
	}
	in := s.input(sess, rd.Last)
	in.Button = data
	var f bot.Form
	var err error
	if verb, _, _ := bot.DecodeButton(data); verb == bot.ReviseVerb {
		f, err = s.eng.RevisionForm(r.Context(), in, v.ID)
	} else {
		f, err = s.eng.ActionForm(r.Context(), in)
	}
	if err != nil {
		if errors.Is(err, bot.ErrNoForm) {
			s.fail(w, r, http.StatusForbidden, rd.Words, rd.Words.T("web.proposal.readonly"))
			return
		}
		s.failErr(w, r, rd.Words, err)
		return
	}
	if values == nil { // first shown: what the form holds already
		values = map[string]string{}
		for _, fi := range f.Inputs {
			if fi.Value != "" {
				values[fi.Key] = fi.Value
			}
		}
	}
	p := s.pageOf(rd, sess, "", f.Title)
	status := http.StatusOK
	if len(errs) > 0 {
		p.Message, status = rd.Words.T("web.form.errors"), http.StatusUnprocessableEntity
	}
	p.Data = formPage{ID: v.ID, Form: f, Errors: errs, Values: values, Nonce: nonce, Path: r.URL.Path}
	s.render(w, status, "form.html", p)
}

// nonceLen is the length of a form's nonce: 132 random bits of a token,
// enough to name one posting of one form.
const nonceLen = 22

// newNonce names one showing of a form: its post is handled once.
func newNonce() string { return randomToken()[:nonceLen] }

func (s *Server) actionPost(w http.ResponseWriter, r *http.Request, sess *session) {
	rd, data, v, ok := s.action(w, r, sess)
	if !ok {
		return
	}
	if data == "" {
		s.fail(w, r, http.StatusForbidden, rd.Words, rd.Words.T("web.proposal.readonly"))
		return
	}
	nonce := r.PostFormValue("nonce")
	if !validNonce(nonce) {
		s.fail(w, r, http.StatusForbidden, rd.Words, rd.Words.T("web.csrf"))
		return
	}
	in := s.input(sess, rd.Last)
	in.Button, in.UpdateID = data, nonce // a form posted twice is handled once
	answers := map[string]string{}
	for k, vs := range r.PostForm {
		if k != "csrf" && k != "nonce" && len(vs) > 0 {
			answers[k] = vs[0]
		}
	}
	var errs bot.FieldErrors
	var err error
	if verb, _, _ := bot.DecodeButton(data); verb == bot.ReviseVerb {
		fields := bot.Fields{}
		for _, name := range bot.FormFields {
			fields[name] = answers[name]
		}
		errs, err = s.eng.SubmitRevision(r.Context(), in, v.ID, fields, [2]bool{answers[bot.AttestConstitution] == "yes", answers[bot.AttestNoInterest] == "yes"})
	} else {
		errs, err = s.eng.SubmitAction(r.Context(), in, answers)
	}
	if err != nil {
		s.failErr(w, r, rd.Words, err)
		return
	}
	if len(errs) > 0 {
		s.showForm(w, r, sess, rd, v, data, errs, answers, nonce)
		return
	}
	http.Redirect(w, r, "/p/"+v.ID+"?done=1", http.StatusSeeOther)
}

// unitRow is one unit in the units page.
type unitRow struct {
	Code, Name string
	Counts     []count
	Total      int
}

type count struct {
	Label string
	N     int
}

func (s *Server) counts(rd *bot.Reading, unitID string) ([]count, int) {
	n := map[bot.Status]int{}
	total := 0
	for _, it := range rd.Items {
		if it.Proposal.Unit == unitID {
			n[it.Status]++
			total++
		}
	}
	var out []count
	for _, st := range bot.Statuses[1:] {
		out = append(out, count{rd.Words.T("status." + string(st)), n[st]})
	}
	return out, total
}

func (s *Server) units(w http.ResponseWriter, r *http.Request, sess *session) {
	rd := s.read(w, r, sess)
	if rd == nil || !s.leader(w, r, rd) {
		return
	}
	var rows []unitRow
	for _, u := range rd.Units {
		c, total := s.counts(rd, u.ID)
		rows = append(rows, unitRow{Code: u.Code, Name: u.Name, Counts: c, Total: total})
	}
	p := s.pageOf(rd, sess, "units", rd.Words.T("web.units.title"))
	p.Data = rows
	s.render(w, http.StatusOK, "units.html", p)
}

type unitPage struct {
	unitRow
	Chart  chart
	Rows   []row
	Legend []pair
}

func (s *Server) unit(w http.ResponseWriter, r *http.Request, sess *session) {
	rd := s.read(w, r, sess)
	if rd == nil || !s.leader(w, r, rd) {
		return
	}
	code := r.PathValue("code")
	i := slices.IndexFunc(rd.Units, func(u *org.Unit) bool { return u.Code == code })
	if i < 0 {
		name := code
		if u := s.eng.Org().UnitByCode(code); u != nil {
			name = u.Name
		}
		s.fail(w, r, http.StatusForbidden, rd.Words, rd.Words.T("web.unit_not_yours", "Unit", name))
		return
	}
	u := rd.Units[i]
	c, total := s.counts(rd, u.ID)
	var items []bot.Item
	for _, it := range rd.Items {
		if it.Proposal.Unit == u.ID {
			items = append(items, it)
		}
	}
	up := unitPage{unitRow: unitRow{Code: u.Code, Name: u.Name, Counts: c, Total: total}, Rows: s.rows(rd, items, filter{})}
	up.Chart = weeklyChart(rd.Words, items, rd.Now, s.eng.Org().Location)
	p := s.pageOf(rd, sess, "units", u.Name)
	p.Data = up
	s.render(w, http.StatusOK, "unit.html", p)
}

// export sends the workbook of exactly what the reader may read.
func (s *Server) export(w http.ResponseWriter, r *http.Request, sess *session) {
	rd := s.read(w, r, sess)
	if rd == nil {
		return
	}
	hist, err := s.eng.WebHistories(r.Context(), rd)
	if err != nil {
		s.failErr(w, r, rd.Words, err)
		return
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="sangkien-`+rd.Now.Format("2006-01-02")+`.xlsx"`)
	if err := export.Workbook(w, s.readerSheets(rd, hist)...); err != nil {
		s.log.Error("web: export", "err", err)
	}
}

// certificatePDF serves the signed PDF of a protection record
// (/certificate/ID.pdf): the link that platforms unable to send a file
// (Zalo) carry instead. The engine checks who may have it, as /certificate.
func (s *Server) certificatePDF(w http.ResponseWriter, r *http.Request, sess *session) {
	words := s.wordsOf(r, sess)
	id, ok := strings.CutSuffix(r.PathValue("file"), ".pdf")
	if !ok || id == "" {
		s.fail(w, r, http.StatusNotFound, words, words.T("web.not_found"))
		return
	}
	pdf, err := s.eng.CertificatePDF(r.Context(), sess.Person, id, words.Lang())
	if err != nil {
		s.failErr(w, r, words, err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="`+id+`.pdf"`)
	_, _ = w.Write(pdf)
}
