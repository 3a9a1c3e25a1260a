package certificate

import (
	"bytes"
	"embed"
	"fmt"
	"strings"

	"codeberg.org/go-pdf/fpdf"
	qrcode "github.com/skip2/go-qrcode"
	"golang.org/x/text/unicode/norm"

	"github.com/sangkien/sangkien/bot"
)

//go:embed fonts/*.ttf
var fonts embed.FS

// Page geometry in millimetres: A4, margins after Decree 30/2020 (left
// 25, right 15), a footer band for the page number.
const (
	pageW, pageH        = 210.0, 297.0
	left, right, top    = 25.0, 15.0, 15.0
	bottom              = 20.0
	width               = pageW - left - right
	qrSize              = 42.0 // 40–45 mm: a version-15 code still reads from a phone and a 150-dpi scan
	textPt, smallPt     = 12.0, 10.5
	headerPt, titlePt   = 13.0, 15.0
	rowLine, fieldLine  = 5.0, 5.6
	statementPt         = 7.5
	statementLineHeight = 3.6
)

// columns of the history table; they add up to width.
var columns = [5]float64{8, 30, 34, 62, 36}

// Render lays d out as an A4 PDF carrying statement (printed, in its
// metadata) and a QR code of link. The output depends only on its input:
// the dates are d.Issued, the catalog is sorted, the producer is fixed.
func Render(d *bot.CertificateDoc, statement, link string) ([]byte, error) {
	pdf := fpdf.New("P", "mm", "A4", "")
	issued := d.Issued.UTC()
	pdf.SetCreationDate(issued)
	pdf.SetModificationDate(issued)
	pdf.SetCatalogSort(true)
	pdf.SetCompression(true)
	pdf.SetProducer("sangkien", false) // fpdf's default names its version
	pdf.SetCreator("sangkien", false)
	pdf.SetAuthor("sangkien", false)
	pdf.SetTitle(nfc(d.Keywords+" — "+d.ID), true)
	pdf.SetLang(d.Lang)
	pdf.SetKeywords(statement, false) // ASCII, uncompressed: Extract reads it here
	pdf.SetMargins(left, top, right)
	pdf.SetAutoPageBreak(true, bottom)
	for style, file := range map[string]string{"": "LiberationSerif-Regular", "B": "LiberationSerif-Bold", "I": "LiberationSerif-Italic"} {
		b, err := fonts.ReadFile("fonts/" + file + ".ttf")
		if err != nil {
			return nil, err
		}
		pdf.AddUTF8FontFromBytes("serif", style, b)
	}
	mono, err := fonts.ReadFile("fonts/LiberationMono-Regular.ttf")
	if err != nil {
		return nil, err
	}
	pdf.AddUTF8FontFromBytes("mono", "", mono)
	pdf.AliasNbPages("{nb}")
	pdf.SetFooterFunc(func() {
		pdf.SetY(-bottom + 5)
		pdf.SetFont("serif", "I", 10)
		pdf.CellFormat(width/2, 6, nfc(d.ID), "", 0, "L", false, 0, "")
		pdf.CellFormat(width/2, 6, nfc(fmt.Sprintf("%s %d/{nb}", d.Page, pdf.PageNo())), "", 0, "R", false, 0, "")
	})
	pdf.AddPage()

	// The heading of a party document: the issuing committee at the left,
	// the party's name and the place and date at the right.
	lw := 85.0
	rx, rw := left+lw, width-lw
	pdf.SetXY(left, top)
	if d.Parent != "" {
		pdf.SetFont("serif", "", headerPt)
		pdf.MultiCell(lw, 6, upper(d.Parent), "", "C", false)
	}
	pdf.SetFont("serif", "B", headerPt)
	pdf.MultiCell(lw, 6, upper(d.Committee), "", "C", false)
	pdf.SetFont("serif", "", headerPt)
	pdf.MultiCell(lw, 6, "*", "", "C", false)
	leftEnd := pdf.GetY()

	pdf.SetXY(rx, top)
	pdf.SetFont("serif", "B", titlePt)
	party := nfc(d.Party)
	pdf.CellFormat(rw, 7, party, "", 2, "C", false, 0, "")
	tw := pdf.GetStringWidth(party)
	pdf.SetLineWidth(0.3)
	pdf.Line(rx+(rw-tw)/2, top+7.2, rx+(rw+tw)/2, top+7.2)
	pdf.SetXY(rx, top+11)
	pdf.SetFont("serif", "I", headerPt)
	pdf.MultiCell(rw, 6, nfc(d.Dated), "", "C", false)
	y := max(leftEnd, pdf.GetY()) + 8

	pdf.SetXY(left, y)
	pdf.SetFont("serif", "B", titlePt)
	pdf.MultiCell(width, 8, nfc(d.Title), "", "C", false)
	pdf.SetFont("serif", "I", headerPt)
	pdf.MultiCell(width, 6, nfc(d.Subtitle), "", "C", false)
	if d.Reason != "" {
		pdf.SetFont("serif", "B", textPt)
		pdf.MultiCell(width, 6, nfc(d.Reason), "", "C", false)
	}
	pdf.Ln(4)

	// The proposal: a label and its value, side by side.
	const lab = 58.0
	for _, f := range d.Fields {
		pdf.SetFont("serif", "B", textPt)
		lines := len(pdf.SplitText(nfc(f.Label)+":", lab-1))
		pdf.SetFont("serif", "", textPt)
		if n := len(pdf.SplitText(nfc(f.Value), width-lab)); n > lines {
			lines = n
		}
		y := breakFor(pdf, float64(lines)*fieldLine)
		pdf.SetFont("serif", "B", textPt)
		pdf.SetXY(left, y)
		pdf.MultiCell(lab-1, fieldLine, nfc(f.Label)+":", "", "L", false)
		pdf.SetFont("serif", "", textPt)
		pdf.SetXY(left+lab, y)
		pdf.MultiCell(width-lab, fieldLine, nfc(f.Value), "", "L", false)
		pdf.SetXY(left, y+float64(lines)*fieldLine)
	}
	pdf.Ln(4)

	// Every step: who, what, when, to whom. Rows are drawn by hand, so that
	// a row is never split across pages and its cells keep one height.
	header := func() {
		pdf.SetFont("serif", "B", smallPt)
		pdf.SetFillColor(235, 235, 235)
		for i, c := range d.Columns {
			pdf.CellFormat(columns[i], 7, nfc(c), "1", 0, "C", true, 0, "")
		}
		pdf.Ln(-1)
	}
	breakFor(pdf, 7+2*rowLine)
	header()
	pdf.SetFont("serif", "", smallPt)
	for _, r := range d.Rows {
		cells := [5]string{fmt.Sprint(r.Seq), nfc(r.When), nfc(r.Who), nfc(r.What), nfc(r.To)}
		n := 1
		for i, c := range cells {
			n = max(n, len(pdf.SplitText(c, columns[i]-2)))
		}
		h := float64(n)*rowLine + 1
		if pdf.GetY()+h > pageH-bottom {
			pdf.AddPage()
			header()
			pdf.SetFont("serif", "", smallPt)
		}
		x, y := pdf.GetXY()
		for i, c := range cells {
			pdf.Rect(x, y, columns[i], h, "D")
			pdf.SetXY(x+1, y+0.5)
			pdf.MultiCell(columns[i]-2, rowLine, c, "", "L", false)
			x += columns[i]
		}
		pdf.SetXY(left, y+h)
	}
	pdf.Ln(5)

	// The chain head, the signed statement and the QR code of the check.
	y = breakFor(pdf, qrSize+4)
	qr, err := qrcode.Encode(link, qrcode.Medium, 512)
	if err != nil {
		return nil, fmt.Errorf("QR code: %w", err)
	}
	opt := fpdf.ImageOptions{ImageType: "PNG"}
	pdf.RegisterImageOptionsReader("qr", opt, bytes.NewReader(qr))
	pdf.ImageOptions("qr", pageW-right-qrSize, y, qrSize, qrSize, false, opt, 0, "")
	tw = width - qrSize - 4
	pdf.SetXY(left, y)
	pdf.SetFont("serif", "B", smallPt)
	pdf.MultiCell(tw, 5.5, nfc(d.HeadLabel), "", "L", false)
	pdf.SetFont("mono", "", 9)
	pdf.MultiCell(tw, 4.5, d.Head, "", "L", false)
	pdf.SetFont("serif", "B", smallPt)
	pdf.MultiCell(tw, 5.5, nfc(d.SignLabel), "", "L", false)
	pdf.SetFont("mono", "", statementPt)
	pdf.MultiCell(tw, statementLineHeight, statement, "", "L", false)
	pdf.SetFont("serif", "I", 10)
	pdf.MultiCell(tw, 5, nfc(d.VerifyHint), "", "L", false)

	if err := pdf.Error(); err != nil {
		return nil, fmt.Errorf("render certificate %s: %w", d.ID, err)
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("render certificate %s: %w", d.ID, err)
	}
	return buf.Bytes(), nil
}

// breakFor starts a new page unless h millimetres fit below the cursor,
// and returns where to draw.
func breakFor(pdf *fpdf.Fpdf, h float64) float64 {
	if pdf.GetY()+h > pageH-bottom {
		pdf.AddPage()
	}
	return pdf.GetY()
}

// nfc composes every letter with its marks: fpdf draws precomposed glyphs
// only, and a decomposed "ễ" would come out with its marks misplaced.
func nfc(s string) string { return norm.NFC.String(s) }

func upper(s string) string { return strings.ToUpper(nfc(s)) }
