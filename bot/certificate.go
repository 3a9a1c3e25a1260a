package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Certifier renders and signs the printable protection record of
// docs/rules/protection.md ("The signed record"). The engine builds the
// document's words (it owns the catalogs); the certifier lays them out,
// signs the statement and returns the PDF with it. cmd/sangkien wires
// internal/certificate, so that the engine imports no PDF or QR library.
type Certifier interface {
	Certify(ctx context.Context, d *CertificateDoc) (pdf []byte, statement string, err error)
}

// CertificateDoc is one protection record, ready to lay out: the facts the
// signature covers, then the page's words in the reader's language.
type CertificateDoc struct {
	// Signed: the statement carries exactly these.
	ID        string
	Unit      string // unit id
	Proposer  string // the proposer's name
	Seq       int    // the last event's number
	Head      string // the last event's hash
	Issued    time.Time
	Protected bool

	Lang       string
	Parent     string // the parent unit's name ("" for the root)
	Committee  string // the proposer's unit
	Party      string // ĐẢNG CỘNG SẢN VIỆT NAM
	Dated      string // place and date, as the language writes them
	Title      string
	Subtitle   string
	Reason     string // when not protected: why not yet
	Fields     []CertificateField
	Columns    [5]string // #, when, who, what, to whom
	Rows       []CertificateRow
	HeadLabel  string
	SignLabel  string
	VerifyHint string
	Page       string // "Trang", "Page": the footer reads "Page 1/2"
	Keywords   string // the document title in the PDF's metadata
}

// CertificateField is one labelled line of the record.
type CertificateField struct{ Label, Value string }

// CertificateRow is one step of the history.
type CertificateRow struct {
	Seq             int
	When, Who, What string
	To              string
}

// File is a document sent with a message (the PDF of a protection
// record). Senders that can upload it implement FileSender; for the
// others the deliverer sends Link, where the web serves it after sign-in.
type File struct {
	Name string `json:"name"`
	Type string `json:"type"` // MIME type
	Data []byte `json:"data"`
	Link string `json:"link,omitempty"`
}

// FileSender is a Sender that delivers Message.File as its platform's file
// (a Telegram document, a Slack file, a file on the console's disk).
type FileSender interface {
	Sender
	SendsFiles() bool
}

// withoutFile is m for a sender that cannot upload files: the file's link,
// when there is one, on a line of its own after the text.
func withoutFile(m *Message) *Message {
	c := *m
	c.File = nil
	if m.File.Link != "" {
		c.Text = append(append(Text{}, m.Text...), Span{Text: "\n" + m.File.Link})
	}
	return &c
}

// certificatePDF sends the signed PDF of p's record after its text, when
// the engine has a certifier.
func (c *call) certificatePDF(p *Proposal) error {
	cf := c.e.certifier
	if cf == nil {
		return nil
	}
	evs, err := c.e.store.Events(c.ctx, p.ID)
	if err != nil {
		return err
	}
	d := c.e.certificateDoc(c.l, p, evs, c.now)
	pdf, _, err := cf.Certify(c.ctx, d)
	if err != nil {
		c.e.log.Error("certificate PDF", "id", p.ID, "err", err)
		c.say("certpdf.failed", "ID", p.ID)
		return nil
	}
	f := &File{Name: p.ID + ".pdf", Type: "application/pdf", Data: pdf}
	if c.e.publicURL != "" {
		f.Link = c.e.publicURL + "/certificate/" + p.ID + ".pdf"
	}
	c.out = append(c.out, Message{ID: NewMessageID(), To: []string{c.in.Chat},
		Text: plain(c.l.T("certpdf.caption", "ID", p.ID)), File: f})
	return nil
}

// CertificatePDF is the signed PDF of proposal id as it stands now, in
// lang, for person: what the web serves at /certificate/ID.pdf after
// sign-in. Like /certificate, only the proposer and the leaders who may
// see the proposal get it (ENotAllowed, ENotFound otherwise).
func (e *Engine) CertificatePDF(ctx context.Context, person, id, lang string) ([]byte, error) {
	if e.certifier == nil {
		return nil, errors.New("bot: no Certifier configured")
	}
	ps, err := e.store.Proposals(ctx, []string{id})
	if err != nil {
		return nil, err
	}
	// One answer for a proposal that does not exist and one the person
	// may not see, so that the sequential ids tell an outsider nothing.
	p := ps[0]
	if p == nil || !e.mayView(person, p) {
		return nil, &Error{Code: ENotFound, Key: "err.not_found", Data: map[string]any{"ID": id}}
	}
	evs, err := e.store.Events(ctx, id)
	if err != nil {
		return nil, err
	}
	pdf, _, err := e.certifier.Certify(ctx, e.certificateDoc(e.cat.loc(lang, e.org.Location), p, evs, e.clock.Now()))
	return pdf, err
}

// mayView reports whether person may read p: its proposer, a leader in
// charge of it, or a leader of a unit above its unit (oversight,
// policy.go) — /show, /history, /certificate and the web alike.
func (e *Engine) mayView(person string, p *Proposal) bool {
	return p.Proposer == person || e.inCharge(person, p) || e.oversees(person, p.Unit)
}

func (e *Engine) certificateDoc(l localizer, p *Proposal, evs []Event, now time.Time) *CertificateDoc {
	name := func(who, recorded string) string {
		if who == SystemActor {
			return l.T("certpdf.system")
		}
		return e.personName(l, who, recorded)
	}
	d := &CertificateDoc{
		ID: p.ID, Unit: p.Unit, Proposer: name(p.Proposer, p.ProposerName),
		Seq: len(evs), Head: p.Head, Issued: now.UTC(), Protected: p.Protected(),
		Lang:      l.lang,
		Committee: e.unitName(p.Unit),
		Party:     l.T("certpdf.party"),
		Dated:     datedLine(l, e.org.Name, now.In(l.tz)),
		Subtitle:  l.T("certpdf.subtitle"),
		Columns: [5]string{"#", l.T("certpdf.col.when"), l.T("certpdf.col.who"),
			l.T("certpdf.col.what"), l.T("certpdf.col.to")},
		HeadLabel:  l.T("certpdf.head", "N", len(evs)),
		SignLabel:  l.T("certpdf.signed"),
		VerifyHint: l.T("certpdf.verify"),
		Page:       l.T("certpdf.page"),
	}
	if len(evs) > 0 {
		d.Head = evs[len(evs)-1].Hash
	}
	if u := e.org.Unit(p.Unit); u != nil && u.Parent != "" {
		d.Parent = e.unitName(u.Parent)
	}
	if d.Protected {
		d.Title = l.T("certpdf.title")
	} else {
		d.Title = l.T("certpdf.title_process")
		d.Reason = l.T("certpdf.why_not." + notProtectedReason(p))
	}
	d.Keywords = d.Title
	for _, f := range []struct{ k, v string }{
		{"certpdf.field.id", p.ID},
		{"certpdf.field.title", p.Fields[FieldTitle]},
		{"certpdf.field.proposer", d.Proposer},
		{"certpdf.field.unit", d.Committee},
		{"certpdf.field.status", l.T("certpdf.status." + string(p.Status))},
	} {
		d.Fields = append(d.Fields, CertificateField{l.T(f.k), f.v})
	}
	for _, k := range FormFields[1:] {
		v := p.Fields[k]
		if k == FieldKind && v != "" {
			v = l.T("certpdf.kind." + v)
		}
		if v != "" {
			d.Fields = append(d.Fields, CertificateField{l.T("certpdf.field." + k), Clip(v, 600)})
		}
	}
	if p.Attested {
		d.Fields = append(d.Fields, CertificateField{l.T("certpdf.field.attest"), l.T("certpdf.attested")})
	}
	// The steps read as /history and /certificate tell them (describe):
	// one replay, so that whom a step was reported to, what an adjustment
	// changed and who acted read the same on paper as in the chat.
	replay(p.ID, evs, func(ev Event, before, after *Proposal) {
		st := e.describe(l, ev, before, after)
		r := CertificateRow{Seq: ev.Seq, When: l.Time(ev.At), Who: name(ev.Actor, ev.Data[DataActorName]),
			What: l.T("certpdf.ev." + string(ev.Action)), To: e.names(l, e.recipients(ev, after))}
		var more []string
		for _, dt := range st.Details {
			if dt.Label == "" { // the attestations (the PDF's font has no ✓: Check is left out)
				more = append(more, dt.Value)
			} else {
				more = append(more, dt.Label+": "+Clip(dt.Value, 300))
			}
		}
		if len(more) > 0 {
			r.What += ". " + strings.Join(more, "; ")
		}
		d.Rows = append(d.Rows, r)
	})
	return d
}

// String names the document in logs.
func (d *CertificateDoc) String() string { return fmt.Sprintf("%s #%d %s", d.ID, d.Seq, d.Head) }

// Text renders catalog message id in lang (the default language when lang
// has no catalog), for the parts outside the engine that speak to people:
// the certificate check of the command line and the web.
func (c *Catalog) Text(lang, id string, kv ...any) string {
	return c.loc(lang, time.UTC).T(id, kv...)
}

// datedLine is the place and date under the national motto: in Vietnamese
// as an official document writes it ("ngày 05 tháng 3 năm 2027": the day
// and the months January and February with a leading zero, so that no one
// can add a digit), in English as an ISO date.
func datedLine(l localizer, place string, t time.Time) string {
	m := strconv.Itoa(int(t.Month()))
	if t.Month() < 3 {
		m = "0" + m
	}
	return l.T("certpdf.dated", "Place", place, "D", fmt.Sprintf("%02d", t.Day()), "M", m, "MM", fmt.Sprintf("%02d", int(t.Month())), "Y", strconv.Itoa(t.Year()))
}
