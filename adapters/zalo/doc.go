// Package zalo is the Zalo platform: the bot speaks as a Zalo Official
// Account (OA) through the Official Account API v3. It turns webhook
// events into engine input and delivers the engine's messages as
// consultation messages. No Go SDK of Zalo's is kept up, and the API is
// three calls, so it speaks HTTP with net/http.
//
//   - The webhook ([Adapter.Register], /zalo/webhook): every event's
//     X-ZEvent-Signature is checked (mac = hex SHA-256 of app id, raw
//     body, the body's timestamp and the OA secret key; constant time);
//     unsigned or wrong: 401, nothing handled. The one exception is an
//     unsigned body with no event, the console's check of the URL: 200,
//     nothing handled. Bodies over 64 KiB get 413. Every event is
//     answered 200 at once and handled after, within Zalo's two seconds;
//     the engine dedupes by message.msg_id for 48 hours across replicas
//     (Zalo retries for hours), and an event older than 47 hours is
//     dropped. user_send_text is engine input, a command with or without
//     its slash; follow greets with the 7-day rule and the help; images,
//     stickers, files and the like get a polite answer.
//   - Sending ([Adapter.Send]): POST {API}/v3.0/oa/message/cs with the
//     access_token header; plain text in NFC, split at 2,000 characters on
//     line boundaries; at most five oa.query.hide buttons under the last
//     part and the rest in numbered follow-ups; titles clipped to 100
//     characters. Errors come as HTTP 200 with a negative error: a user
//     not reachable now (-213, -230 and the like) is permanent for that
//     address, so the deliverer moves to the person's next identity or
//     parks the message; an invalid or expired token (-216, -220, -124)
//     is replaced and the call made once more.
//   - Buttons: a press comes back as the user's (hidden) text, and anyone
//     can type or forward text, so a payload is the engine's button data
//     signed for the one user it was sent to; a payload from anyone else,
//     or changed, changes nothing and the sender is told why.
//   - Tokens (token.go): the pair lives in Redis, rotated in one step and
//     only over the refresh token presented; one replica refreshes at a
//     time under a lease; [Adapter.Run] refreshes ahead of expiry. A used
//     refresh token is never presented again.
//   - Reachability: when a person writes (or follows), the messages parked
//     for their address are made due again and the engine tells them how
//     many.
//   - Limits ([Adapter.Limit]): one message a second per user (Zalo
//     documents none) and 4,000 requests a minute per app, counted in
//     Redis across replicas.
//
// The adapter never touches the engine's keys: what it needs of Redis is
// the small [Store] interface, which storage.Store implements.
package zalo
