// Package slack is the Slack platform: it turns Slack's events, slash
// commands and interactions into engine input, and delivers the engine's
// messages through the Web API. It uses github.com/slack-go/slack for the
// types, the Web API calls, request signatures and Socket Mode.
//
// Two transports, either or both:
//
//   - HTTP ([Adapter.Register]): /slack/events, /slack/commands and
//     /slack/interactions on the serve mux. Every request's signature is
//     checked with slack-go's SecretsVerifier (forged, unsigned or older
//     than five minutes: 401, and nothing happens); a signed body that is no
//     Slack payload gets 400; url_verification is answered.
//   - Socket Mode ([Adapter.Run]) with an app-level token: every envelope
//     is acknowledged, even one the adapter cannot use.
//
// Everything is acknowledged at once and handled after the
// acknowledgement, within Slack's three seconds whatever the store does.
// The one exception is a modal's submission: Slack waits for its answer,
// which carries the validation errors by block, so it is handled before,
// bounded by Config.SubmitTimeout. Events are deduplicated by event_id
// through the engine (Input.UpdateID), so a retried or duplicated event is
// acknowledged and handled once; a retry whose first delivery never
// arrived is handled.
//
// People use the bot in their direct message with it. /sangkien CMD
// [args] runs the engine's /CMD; in the direct message the same commands
// are typed without the slash. /sangkien propose opens the proposal form
// as a modal (attestations as required checkboxes) at once, as the
// trigger lasts three seconds. Decision buttons are Block Kit buttons whose
// value is the engine's button data; a button whose action asks questions
// (a date, a reason, a verdict) opens them as a modal, and once the
// decision is recorded the message that carried the button is updated
// (chat.update) to say who decided, without buttons. A proposal returned
// for revision is revised in the proposal form's modal, filled with its
// fields. The entry points behind the modals are the engine's
// ProposalForm, SubmitForm, ActionForm, SubmitAction, RevisionForm and
// SubmitRevision, which record exactly what the chat dialogs do.
//
// Sending ([Adapter.Send]): slack:U… is a person, reached in their direct
// message (conversations.open, remembered); slack:C…, G… and D… are
// conversations. Text becomes mrkdwn sections of at most 3000 characters
// with &, < and > escaped, at most 50 blocks a message, buttons as actions
// blocks under the last; images are uploaded as files to the same channel.
// Failures are *bot.DeliveryError: 429 waits Retry-After (30 seconds when
// Slack says not how long), errors about the address itself (channel not
// found, not in channel, archived, unknown or inactive user) are permanent,
// 5xx and the network are retried. [Adapter.Limit] keeps to about one
// message a second per channel, counted in Redis across replicas.
package slack
