// Package certificate makes and checks the signed protection record of
// docs/rules/protection.md: the statement the bot signs with its Ed25519
// key, the A4 PDF laid out as a Vietnamese party document, and the check
// of a statement against the public key and the stored chain.
//
// It holds the PDF (codeberg.org/go-pdf/fpdf) and QR (skip2/go-qrcode)
// libraries so that the engine does not: bot declares the Certifier it
// needs and cmd/sangkien hands it an Issuer.
//
// The statement is "SK1." + base64url(JSON) + "." + base64url(signature),
// the signature taken over "SK1." + JSON, so the version tag is signed
// too. The JSON's keys are short so that the verification URL fits a QR
// code of version 15 or so at error correction M; its field order is the
// struct's, so the bytes are canonical. A check verifies the signature
// over the exact bytes received, never over a re-encoding.
//
// The PDF carries the statement three times: printed on the page, in the
// QR code's URL, and in the document's /Keywords, written uncompressed by
// fpdf, where Extract finds it again with one regular expression.
//
// Fonts: Liberation Serif and Liberation Mono (SIL Open Font License 1.1,
// fonts/LICENSE-Liberation.txt), metric-compatible with Times New Roman,
// the face of party documents, and complete for Vietnamese. Text is
// normalised to NFC before it is drawn: fpdf positions no combining marks.
package certificate
