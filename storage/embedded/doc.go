// Package embedded is the store used when no Redis is configured: a
// Redis-compatible server (miniredis) in the process, made durable by an
// append-only file of our own. storage.Store runs on it unchanged through
// Server.Client; the storage suite passes on it as on Redis.
//
// Open records every write sent through the server's clients in
// <dir>/sangkien.aof: one record per command, pipeline or MULTI/EXEC,
// appended and synced to disk before the write returns. So a crash, of the
// process or of the machine, loses nothing that was acknowledged; a write
// cut short by the crash leaves a torn last record that the next open
// drops and logs. On open the file is replayed and then rewritten
// compactly from the data set. A lock on <dir>/LOCK keeps a second process
// out.
//
// embedded.go runs the server and logs the writes (a go-redis hook);
// aof.go is the file's format; lock_*.go the directory lock.
package embedded
