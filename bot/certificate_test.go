package bot_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/internal/bottest"
)

// recorder is a Certifier that keeps the document it was given.
type recorder struct{ docs []*bot.CertificateDoc }

func (r *recorder) Certify(_ context.Context, d *bot.CertificateDoc) ([]byte, string, error) {
	r.docs = append(r.docs, d)
	return []byte("%PDF-1.3 " + d.ID), "SK1.x.y", nil
}

// fileSender is a platform that takes files.
type fileSender struct{ *bottest.Harness }

func (fileSender) SendsFiles() bool { return true }

func TestCertificateSendsTheSignedPDF(t *testing.T) {
	h := newHarness(t)
	rec := &recorder{}
	e, err := bot.New(bot.Config{Org: h.Org, Store: h.Store, Clock: h.Clock, Certifier: rec, PublicURL: "https://sangkien.example.vn/"})
	if err != nil {
		t.Fatal(err)
	}
	h.Engine = e
	id := h.FileProposal(cadre)
	h.Approve(leader, id)
	h.Say(cadre, "/report "+id+" 40 applications")
	h.Say(leader, "/show "+id)
	h.Press(leader, "Complete")
	h.Press(leader, "Achieved")
	h.Say(leader, "Scans work")
	h.Press(leader, "Yes, recommend wider adoption")

	t.Run("a platform without files gets the link", func(t *testing.T) {
		out := h.Say(cadre, "/certificate "+id)
		last := out[len(out)-1]
		if last.File != nil || !strings.HasSuffix(last.Text.String(), "\nhttps://sangkien.example.vn/certificate/"+id+".pdf") {
			t.Fatalf("last message: file %v, text %q", last.File != nil, last.Text.String())
		}
	})
	t.Run("a platform with files gets the PDF", func(t *testing.T) {
		h.D.Senders["console"] = fileSender{h}
		out := h.Say(cadre, "/certificate "+id)
		last := out[len(out)-1]
		if last.File == nil || last.File.Name != id+".pdf" || string(last.File.Data) != "%PDF-1.3 "+id || strings.Contains(last.Text.String(), "https://") {
			t.Fatalf("last message: %+v", last)
		}
	})
	t.Run("the web's download is for those who may see the record", func(t *testing.T) {
		ctx := context.Background()
		pdf, err := e.CertificatePDF(ctx, h.Org.PersonOf(cadre), id, "vi")
		if err != nil || string(pdf) != "%PDF-1.3 "+id {
			t.Fatalf("proposer: %q, %v", pdf, err)
		}
		if _, err := e.CertificatePDF(ctx, h.Org.PersonOf(leader), id, "en"); err != nil {
			t.Fatalf("leader in charge: %v", err)
		}
		// Not allowed reads as not found: the ids tell an outsider nothing.
		if _, err := e.CertificatePDF(ctx, h.Org.PersonOf(visitor), id, "vi"); bot.ErrorCode(err) != bot.ENotFound {
			t.Fatalf("visitor: %v, want %s", err, bot.ENotFound)
		}
		if _, err := e.CertificatePDF(ctx, h.Org.PersonOf(cadre), "TNMT-2026-999", "vi"); bot.ErrorCode(err) != bot.ENotFound {
			t.Fatalf("unknown id: %v, want %s", err, bot.ENotFound)
		}
		rec.docs = rec.docs[:len(rec.docs)-2]
	})
	d := rec.docs[len(rec.docs)-1]
	p := h.Proposal(id)
	if d.ID != id || d.Seq != p.Version || d.Head != p.Head || !d.Protected || d.Proposer != "Nguyễn Văn An" || d.Lang != "en" {
		t.Fatalf("signed facts: %+v", d)
	}
	if len(d.Rows) != p.Version || d.Rows[0].Who != "Nguyễn Văn An" || d.Rows[0].To != "Lê Thị Giám" || d.Rows[1].Who != "Lê Thị Giám" {
		t.Fatalf("rows: %+v", d.Rows)
	}
	if !strings.Contains(d.Rows[len(d.Rows)-1].What, "Wider adoption recommended: yes") {
		t.Errorf("the completion row: %q", d.Rows[len(d.Rows)-1].What)
	}
}
