// Package console is the terminal platform: one person at a keyboard (or a
// script on stdin) plays any identity, and every message the bot sends, to
// anyone, is printed with its recipient.
package console

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/sangkien/sangkien/bot"
)

// Engine is what the console needs of the bot.
type Engine interface {
	Handle(ctx context.Context, in bot.Input) error
	Unavailable(in bot.Input, lang string) bot.Message
}

// Adapter reads lines and prints messages. It is also the bot.Sender for
// every platform when the bot runs in the terminal.
type Adapter struct {
	Engine Engine
	In     io.Reader
	Out    io.Writer
	// As is the identity typed lines come from, e.g. console:an.
	As string
	// Lang is the language of the console's own lines (who is typing, who a
	// message is for): "vi" (the default) or "en". The bot's messages are
	// in each recipient's language.
	Lang string
	// Prompt prints a prompt before each line (a terminal); otherwise each
	// line read is echoed after the identity, so a piped session reads as a
	// transcript.
	Prompt bool
	// Flush, when set, runs after each line until the replies it caused are
	// printed, so that the next line may press their buttons.
	Flush func(ctx context.Context) error
	// Files, when set, is the directory where files sent along (a
	// protection record's PDF) are written; the message shows the path.
	Files string

	mu   sync.Mutex
	refs int
	// shown holds, by address, the buttons that are current there: those of
	// the messages printed since that address last typed a line, numbered
	// on from 1 across all of them, so that a number names exactly one
	// button on screen (two items of /pending never share a "1").
	shown map[string][]pressable
}

// pressable is a numbered button: its number is its index in shown + 1.
type pressable struct {
	ref string // the message that carries it
	bot.Button
}

var _ bot.FileSender = (*Adapter)(nil)

// Run reads lines until EOF or ctx ends.
func (a *Adapter) Run(ctx context.Context) error {
	if a.As == "" {
		a.As = "console:an"
	}
	lines := make(chan string)
	errc := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(a.In)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
		errc <- sc.Err()
	}()
	pending := []string{}
	for {
		if a.Prompt {
			a.printf("%s> ", a.As)
		}
		var line string
		select {
		case <-ctx.Done():
			return nil
		case err := <-errc:
			return err
		case line = <-lines:
		}
		if !a.Prompt {
			a.printf("%s> %s\n", a.As, line)
		}
		// A line ending in a backslash continues on the next one, so a
		// one-message proposal can be typed over several lines.
		if strings.HasSuffix(line, `\`) {
			pending = append(pending, strings.TrimSuffix(line, `\`))
			continue
		}
		text := strings.Join(append(pending, line), "\n")
		pending = pending[:0]
		if err := a.line(ctx, text); err != nil {
			return err
		}
	}
}

func (a *Adapter) line(ctx context.Context, text string) error {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil
	}
	if who, ok := strings.CutPrefix(text, "/as"); ok && (who == "" || who[0] == ' ') {
		who = strings.TrimSpace(who)
		if who == "" {
			a.printf(a.chrome().whoami, a.As)
			return nil
		}
		if !strings.Contains(who, ":") {
			who = "console:" + who
		}
		a.As = who
		a.printf(a.chrome().nowAs, who)
		return nil
	}
	in := bot.Input{Platform: "console", Chat: a.As, Sender: a.As, Text: text}
	a.mu.Lock()
	shown := a.shown[a.As]
	delete(a.shown, a.As) // what this line causes is numbered from 1
	a.mu.Unlock()
	// A number presses the button it names, and still carries the text:
	// the engine takes the text when the open question asks for it (a
	// cadence "3" stays three days).
	if n, err := strconv.Atoi(text); err == nil && n >= 1 && n <= len(shown) && shown[n-1].Data != "" {
		in.Button, in.Ref = shown[n-1].Data, shown[n-1].ref
	}
	if err := a.Engine.Handle(ctx, in); err != nil {
		m := a.Engine.Unavailable(in, "")
		_, _ = a.Send(ctx, in.Chat, &m)
		return nil
	}
	if a.Flush != nil {
		return a.Flush(ctx)
	}
	return nil
}

// Send prints m with its recipient.
func (a *Adapter) Send(ctx context.Context, address string, m *bot.Message) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.refs++
	ref := "console:" + strconv.Itoa(a.refs)
	var b strings.Builder
	switch {
	case m.Edit != "":
		fmt.Fprintf(&b, a.chrome().edited, address, strings.TrimPrefix(m.Edit, "console:"))
		for i, p := range a.shown[address] {
			if p.ref == m.Edit { // its buttons are gone; the numbers of the others stay
				a.shown[address][i] = pressable{}
			}
		}
	case address == a.As:
		fmt.Fprintf(&b, a.chrome().toYou, address)
	default:
		fmt.Fprintf(&b, a.chrome().to, address)
	}
	for _, line := range strings.Split(m.Text.String(), "\n") {
		b.WriteString("   " + line + "\n")
	}
	if len(m.Buttons) > 0 {
		if a.shown == nil {
			a.shown = map[string][]pressable{}
		}
		b.WriteString("  ")
		for _, row := range m.Buttons {
			for _, btn := range row {
				a.shown[address] = append(a.shown[address], pressable{ref: ref, Button: btn})
				fmt.Fprintf(&b, " [%d] %s", len(a.shown[address]), btn.Label)
			}
		}
		b.WriteString("\n")
	}
	if len(m.Image) > 0 {
		fmt.Fprintf(&b, a.chrome().image, len(m.Image))
	}
	if m.File != nil {
		path, err := a.writeFile(m.File)
		if err != nil {
			return "", &bot.DeliveryError{Reason: err.Error()}
		}
		fmt.Fprintf(&b, a.chrome().file, path, len(m.File.Data))
	}
	_, err := io.WriteString(a.Out, b.String())
	return ref, err
}

// SendsFiles reports whether files are written (Files is set); without it
// the deliverer sends their link instead.
func (a *Adapter) SendsFiles() bool { return a.Files != "" }

// writeFile writes f under Files, by its name alone, and returns the path.
func (a *Adapter) writeFile(f *bot.File) (string, error) {
	if err := os.MkdirAll(a.Files, 0o750); err != nil {
		return "", fmt.Errorf("console: %w", err)
	}
	path, err := filepath.Abs(filepath.Join(a.Files, filepath.Base(f.Name)))
	if err != nil {
		return "", fmt.Errorf("console: %w", err)
	}
	if err := os.WriteFile(path, f.Data, 0o640); err != nil {
		return "", fmt.Errorf("console: %w", err)
	}
	return path, nil
}

func (a *Adapter) printf(format string, args ...any) {
	a.mu.Lock()
	defer a.mu.Unlock()
	fmt.Fprintf(a.Out, format, args...)
}

// chromeText is the console's own wording around the bot's messages.
type chromeText struct {
	whoami, nowAs, edited, toYou, to, image, file string
}

var chromes = map[string]chromeText{
	"vi": {
		whoami: "   (đồng chí đang là %s; gõ /as DANH_TÍNH để đổi, ví dụ /as console:giamdoc)\n",
		nowAs:  "   (đồng chí giờ là %s)\n",
		edited: "   ┄ %s: tin nhắn %s đã được sửa ┄\n",
		toYou:  "── gửi đồng chí (%s) ──\n",
		to:     "── gửi %s ──\n",
		image:  "   (hình ảnh, %d byte)\n",
		file:   "   (tệp đã lưu: %s, %d byte)\n",
	},
	"en": {
		whoami: "   (you are %s; /as IDENTITY switches, e.g. /as console:giamdoc)\n",
		nowAs:  "   (you are now %s)\n",
		edited: "   ┄ %s: message %s edited ┄\n",
		toYou:  "── to you (%s) ──\n",
		to:     "── to %s ──\n",
		image:  "   (image, %d bytes)\n",
		file:   "   (file saved: %s, %d bytes)\n",
	},
}

func (a *Adapter) chrome() chromeText {
	if c, ok := chromes[a.Lang]; ok {
		return c
	}
	return chromes["vi"]
}
