package main

import (
	"errors"
)

// serve runs the configured platform adapters. The Telegram and Slack
// adapters arrive with their own issues; until then serve says so.
func (e *env) serve() error {
	return errors.New("serve: no platform adapter is available in this build yet; use `sangkien console` to try the bot")
}
