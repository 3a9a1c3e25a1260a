// Package telegram is the Telegram platform: it turns Bot API updates into
// engine input and delivers the engine's messages through the Bot API.
//
// It uses github.com/go-telegram-bot-api/telegram-bot-api/v5 for the types,
// request building and method calls, and owns what that library gets wrong
// for a server that must run unattended:
//
//   - the HTTP client: every call carries a context and the client's timeout
//     is longer than the long-poll timeout;
//   - the polling loop ([Adapter.Run]): getUpdates with a context, backoff
//     with jitter on errors, exactly retry_after on 429, a pause on 409; only
//     the replica holding a Redis lease polls, and the offset lives in Redis,
//     so several replicas share one bot and another takes over within the
//     lease's TTL of the poller dying;
//   - the webhook ([Adapter.Webhook]): decoded on our own mux, refused
//     without the X-Telegram-Bot-Api-Secret-Token that setWebhook registered;
//   - rendering ([Adapter.Send]): HTML parse mode with every span escaped,
//     replies over 4096 characters split on line boundaries with no tag
//     broken, inline keyboards on the last part, edits that drop buttons,
//     photos with captions; failures as *bot.DeliveryError (429 retry_after,
//     permanent 403 and "chat not found");
//   - the platform's rate limits ([Adapter.Limit]): 30 messages a second per
//     bot, 1 a second per chat, 20 a minute per group, counted in Redis so
//     they hold across replicas.
//
// Inbound, private messages and callback queries drive the engine; in
// groups the engine answers /help and /chatid only, and the adapter asks
// for /chatid itself when the bot is added to a group, so the group learns
// the address to put in the org file. Every callback query is answered at
// once. The engine dedupes update ids, so a redelivered update is harmless.
//
// The adapter never touches the engine's keys: what it needs of Redis is
// the small [Store] interface, which storage.Store implements.
package telegram
