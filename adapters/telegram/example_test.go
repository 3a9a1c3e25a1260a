package telegram_test

import (
	"context"
	"fmt"
	"time"

	"github.com/sangkien/sangkien/adapters/telegram"
	"github.com/sangkien/sangkien/adapters/telegram/telegramtest"
	"github.com/sangkien/sangkien/bot"
)

// Send renders the engine's text as HTML, escaped, with the buttons as an
// inline keyboard, and returns the reference a later edit names.
func ExampleAdapter_Send() {
	srv := telegramtest.Start()
	defer srv.Close()
	ad, err := telegram.New(context.Background(), telegram.Config{
		Token:  telegramtest.Token,
		API:    srv.API(), // default https://api.telegram.org
		Engine: quietEngine{},
		Store:  noLimits{}, // storage.Store in a real deployment
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ref, err := ad.Send(context.Background(), "telegram:100", &bot.Message{
		Text:    bot.Text{{Text: "New proposal "}, {Style: bot.Code, Text: "TNMT-2026-001"}, {Text: " <for you>"}},
		Buttons: [][]bot.Button{{{Label: "Approve pilot", Data: "ap|TNMT-2026-001"}}},
	})
	fmt.Println(ref, err)
	m := srv.Messages(100)[0]
	fmt.Println(m.HTML)
	fmt.Println(m.Keyboard)
	// Output:
	// telegram:100:1 <nil>
	// New proposal <code>TNMT-2026-001</code> &lt;for you&gt;
	// [[{Approve pilot ap|TNMT-2026-001}]]
}

type quietEngine struct{}

func (quietEngine) Handle(context.Context, bot.Input) error   { return nil }
func (quietEngine) Unavailable(bot.Input, string) bot.Message { return bot.Message{} }
func (quietEngine) Commands(string) []bot.Command             { return nil }

type noLimits struct{}

func (noLimits) AcquireLease(context.Context, string, string, time.Duration) (bool, error) {
	return true, nil
}
func (noLimits) RenewLease(context.Context, string, string, time.Duration) (bool, error) {
	return true, nil
}
func (noLimits) ReleaseLease(context.Context, string, string) error { return nil }
func (noLimits) Offset(context.Context, string) (int64, error)      { return 0, nil }
func (noLimits) SetOffset(context.Context, string, int64) error     { return nil }
func (noLimits) Allow(context.Context, string, ...bot.Window) (time.Duration, error) {
	return 0, nil
}
