package bot_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/internal/bottest"
	"github.com/sangkien/sangkien/storage"
)

// halfCommit is the real store whose commits go only half through: as on
// a cluster where the commit's node fails and the session's does not,
// Commit writes the session beside it (really, in Redis) and fails without
// writing the step. With lose set instead, the step is stored and the
// session write after it fails, as when the process dies in between.
type halfCommit struct {
	*storage.Store
	lose bool
}

var errNodeDown = errors.New("the commit's node is down")

func (s *halfCommit) Commit(ctx context.Context, c *bot.Commit) error {
	if s.lose {
		return s.Store.Commit(ctx, c)
	}
	if err := s.Store.SaveSession(ctx, c.Session, nil); err != nil {
		return err
	}
	return errNodeDown
}

func (s *halfCommit) SaveSession(ctx context.Context, sess *bot.Session, msgs []bot.Message) error {
	if s.lose {
		return errNodeDown
	}
	return s.Store.SaveSession(ctx, sess, msgs)
}

// submitThrough presses Submit on the form of who through an engine on
// store, as update id, and returns Handle's error.
func submitThrough(t *testing.T, h *bottest.Harness, store bot.Store, who, id string) error {
	t.Helper()
	e, err := bot.New(bot.Config{Org: h.Org, Store: store, Clock: h.Clock})
	if err != nil {
		t.Fatal(err)
	}
	s, b := h.FindButton(who, "Submit")
	if b == nil {
		t.Fatalf("no Submit button; last message: %s", h.Last(who).Text.String())
	}
	return e.Handle(context.Background(), bot.Input{Platform: "console", UpdateID: id, Sender: who, Chat: who, Button: b.Data, Ref: s.Ref})
}

func fillForm(h *bottest.Harness, who string) {
	h.Say(who, bottest.OneMessage)
	h.Press(who, "Yes, I confirm")
	h.Press(who, "Yes, I confirm")
}

func proposalsOf(t *testing.T, h *bottest.Harness, who string) []string {
	t.Helper()
	ids, err := h.Store.ByProposer(context.Background(), h.Org.PersonOf(who))
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestFailedCommitKeepsTheForm: issue 11 bug 3. The session that rides
// beside a commit is written whatever the commit's outcome; when the
// commit fails, the user is told to try again and the filled form is
// still there to submit again.
func TestFailedCommitKeepsTheForm(t *testing.T) {
	h := newHarness(t)
	fillForm(h, cadre)
	err := submitThrough(t, h, &halfCommit{Store: h.Store}, cadre, "half-1")
	if bot.ErrorCode(err) != bot.EUnavailable {
		t.Fatalf("a failed commit: Handle = %v, want an unavailable error", err)
	}
	if ids := proposalsOf(t, h, cadre); len(ids) != 0 {
		t.Fatalf("proposals after a failed commit: %v", ids)
	}
	sent := h.Press(cadre, "Submit") // trying again, as told
	if ids := proposalsOf(t, h, cadre); len(ids) != 1 {
		t.Fatalf("after submitting again: proposals %v, want one; reply: %s", ids, bottest.To(sent, cadre))
	}
}

// TestStoredCommitEndsTheForm: when the commit is stored and the write
// that clears the dialog after it is not (the process died), the next
// update finds the form over: pressing Submit again files nothing twice.
func TestStoredCommitEndsTheForm(t *testing.T) {
	h := newHarness(t)
	fillForm(h, cadre)
	if err := submitThrough(t, h, &halfCommit{Store: h.Store, lose: true}, cadre, "lose-1"); err == nil {
		t.Fatal("the session write after the commit failed, and Handle did not tell")
	}
	if ids := proposalsOf(t, h, cadre); len(ids) != 1 {
		t.Fatalf("proposals after a stored commit: %v, want one", ids)
	}
	sent := h.Press(cadre, "Submit")
	if ids := proposalsOf(t, h, cadre); len(ids) != 1 {
		t.Fatalf("after pressing Submit again: proposals %v, want still one", ids)
	}
	if reply := bottest.To(sent, cadre); !strings.Contains(reply, "no longer open") {
		t.Errorf("pressing Submit again: %s; want the form told over", reply)
	}
	ld, err := h.Store.Load(context.Background(), bot.LoadRequest{Person: h.Org.PersonOf(cadre)})
	if err != nil {
		t.Fatal(err)
	}
	if ld.Session.Dialog != nil || ld.Session.Pending != nil {
		t.Errorf("session after the next update: dialog %+v, pending %+v; want both settled away", ld.Session.Dialog, ld.Session.Pending)
	}
}
