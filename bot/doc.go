// Package bot is sangkien's engine: platform-neutral input in (Input),
// platform-neutral messages out (Message, in the small markup model Text),
// and between them the commands, dialogs and proposal workflow of
// Conclusion 14-KL/TW.
//
// The engine owns:
//   - the lifecycle table and who may take each action (lifecycle.go);
//   - the tamper-evident history: every action is an Event whose hash
//     covers its canonical encoding and the previous hash; the stored
//     record is exactly Fold of the events (history.go), and the keys of
//     an event's data, hashed with it, are the constants of eventdata.go;
//   - the guided and one-message proposal forms (form.go, parse.go);
//   - every user-facing string, in Vietnamese and English catalogs
//     (locales/*.yaml, through go-i18n);
//   - the Deliverer that drains the outbox through each platform's Sender;
//   - the escalations the schedules decide (Escalate), recorded like
//     every action; the jobs themselves live in package schedules, which
//     writes its lists with the engine's words (Words, Render, RichText).
//
// It declares the interfaces it needs — Store, Outbox, Sender, Clock — and
// the storage and adapter packages implement them; it imports neither.
// Every state change goes to the Store as one atomic Commit carrying the new
// record, its event, and the messages it causes.
package bot
