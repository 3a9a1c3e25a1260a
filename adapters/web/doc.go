// Package web is the web register: server-rendered pages on the bot's own
// HTTP server, one more adapter of the same engine (docs/rules/web.md).
//
// People sign in by chat: /web answers with a one-time link that this
// package issues (Server implements bot.WebSignIn). A GET of the link
// never spends it, because messengers fetch links for their previews; it
// shows one button whose POST does, and starts a session kept in the
// store (so any replica serves it). The link and the session are the only
// state the package keeps; both are stored by the hash of their secret.
//
// Every page reads through bot.Engine.WebRead and WebProposal, which ask
// the same authorization as chat; every action opens bot.Engine.ActionForm
// and commits through SubmitAction, exactly as a Slack modal does. The web
// is never a second write path.
//
// Security: a CSRF token on every form (bound to the session, or to a
// cookie before sign-in); a Content-Security-Policy without scripts;
// X-Frame-Options DENY; Referrer-Policy no-referrer; session cookies
// HttpOnly, SameSite=Lax, and Secure when the public URL is HTTPS;
// sign-in links rate-limited per person by the store's shared limiter.
// No URL carries proposal content beyond its ID.
package web
