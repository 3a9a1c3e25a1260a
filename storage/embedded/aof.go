package embedded

import (
	"bufio"
	"bytes"
	"encoding"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// The append-only file of the embedded store.
//
// It starts with aofMagic; then come records, each
//
//	length  uint32, big endian: bytes of payload
//	crc     uint32, big endian: CRC-32C of payload
//	payload one or more commands, each a RESP array of bulk strings
//
// A record is one unit of replay: one command, one pipeline, or one
// MULTI ... EXEC transaction (payload starts with MULTI and ends with EXEC).
// A record is appended with one write and synced before the write that
// caused it is acknowledged.

const aofMagic = "sangkien-aof 1\n"

// maxRecord bounds a record's length; anything larger is damage.
const maxRecord = 512 << 20

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// appendRecord appends the record of cmds to buf.
func appendRecord(buf []byte, cmds [][]string) []byte {
	start := len(buf)
	buf = append(buf, 0, 0, 0, 0, 0, 0, 0, 0)
	for _, c := range cmds {
		buf = appendRESP(buf, c)
	}
	payload := buf[start+8:]
	binary.BigEndian.PutUint32(buf[start:], uint32(len(payload)))
	binary.BigEndian.PutUint32(buf[start+4:], crc32.Checksum(payload, castagnoli))
	return buf
}

// appendRESP appends args as a RESP array of bulk strings.
func appendRESP(buf []byte, args []string) []byte {
	buf = append(buf, '*')
	buf = strconv.AppendInt(buf, int64(len(args)), 10)
	buf = append(buf, '\r', '\n')
	for _, a := range args {
		buf = append(buf, '$')
		buf = strconv.AppendInt(buf, int64(len(a)), 10)
		buf = append(buf, '\r', '\n')
		buf = append(buf, a...)
		buf = append(buf, '\r', '\n')
	}
	return buf
}

// parseRESP splits a record's payload into its commands.
func parseRESP(p []byte) ([][]string, error) {
	r := bufio.NewReader(bytes.NewReader(p))
	var out [][]string
	for {
		n, err := readLen(r, '*')
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		cmd := make([]string, n)
		for i := range cmd {
			l, err := readLen(r, '$')
			if err != nil {
				return nil, err
			}
			b := make([]byte, l+2)
			if _, err := io.ReadFull(r, b); err != nil {
				return nil, err
			}
			if b[l] != '\r' || b[l+1] != '\n' {
				return nil, errors.New("bulk string not terminated")
			}
			cmd[i] = string(b[:l])
		}
		out = append(out, cmd)
	}
}

// readLen reads a RESP header line "<prefix><n>\r\n".
func readLen(r *bufio.Reader, prefix byte) (int, error) {
	line, err := r.ReadString('\n')
	if err == io.EOF && line == "" {
		return 0, io.EOF
	}
	if err != nil {
		return 0, io.ErrUnexpectedEOF
	}
	if len(line) < 4 || line[0] != prefix || line[len(line)-2] != '\r' {
		return 0, fmt.Errorf("bad header %q", line)
	}
	n, err := strconv.Atoi(line[1 : len(line)-2])
	if err != nil || n < 0 || n > maxRecord {
		return 0, fmt.Errorf("bad length %q", line)
	}
	return n, nil
}

// readAOF reads the records of an append-only file and calls apply with
// each one's commands, in order. It returns the offset where the good
// records end. A damaged record that runs to the end of the file (a torn
// append) ends the file there and is reported as torn; damage followed by
// anything but zero bytes is an error, since records after it would be
// lost.
func readAOF(f *os.File, apply func([][]string) error) (end int64, torn bool, err error) {
	data, err := io.ReadAll(f)
	if err != nil {
		return 0, false, err
	}
	if len(data) == 0 {
		return 0, false, nil
	}
	if !bytes.HasPrefix(data, []byte(aofMagic)) {
		if len(data) < len(aofMagic) && strings.HasPrefix(aofMagic, string(data)) {
			return 0, true, nil // torn while the file was created
		}
		return 0, false, errors.New("not a sangkien append-only file")
	}
	off := len(aofMagic)
	for off < len(data) {
		cmds, n, bad := nextRecord(data[off:])
		if bad != nil {
			if n > len(data)-off || allZero(data[off+min(n, len(data)-off):]) {
				return int64(off), true, nil
			}
			return int64(off), false, fmt.Errorf("damaged record at offset %d: %v", off, bad)
		}
		if err := apply(cmds); err != nil {
			return int64(off), false, fmt.Errorf("replay record at offset %d: %w", off, err)
		}
		off += n
	}
	return int64(off), false, nil
}

// nextRecord decodes the record at the start of b and returns its commands
// and size; on damage, bad says why and n is the size the header claims
// (or len(b)+1 when even the header is cut short).
func nextRecord(b []byte) (cmds [][]string, n int, bad error) {
	if len(b) < 8 {
		return nil, len(b) + 1, errors.New("header cut short")
	}
	l := int(binary.BigEndian.Uint32(b))
	sum := binary.BigEndian.Uint32(b[4:])
	if l == 0 || l > maxRecord {
		return nil, 8, fmt.Errorf("bad length %d", l)
	}
	if 8+l > len(b) {
		return nil, 8 + l, errors.New("record cut short")
	}
	payload := b[8 : 8+l]
	if crc32.Checksum(payload, castagnoli) != sum {
		return nil, 8 + l, errors.New("checksum mismatch")
	}
	cmds, err := parseRESP(payload)
	if err != nil || len(cmds) == 0 {
		return nil, 8 + l, fmt.Errorf("bad payload: %v", err)
	}
	return cmds, 8 + l, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// argString renders a go-redis command argument as go-redis puts it on
// the wire (internal/proto.Writer.WriteArg).
func argString(v any) (string, error) {
	switch v := v.(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case []byte:
		return string(v), nil
	case int:
		return strconv.FormatInt(int64(v), 10), nil
	case int8:
		return strconv.FormatInt(int64(v), 10), nil
	case int16:
		return strconv.FormatInt(int64(v), 10), nil
	case int32:
		return strconv.FormatInt(int64(v), 10), nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case uint:
		return strconv.FormatUint(uint64(v), 10), nil
	case uint8:
		return strconv.FormatUint(uint64(v), 10), nil
	case uint16:
		return strconv.FormatUint(uint64(v), 10), nil
	case uint32:
		return strconv.FormatUint(uint64(v), 10), nil
	case uint64:
		return strconv.FormatUint(v, 10), nil
	case float32:
		return strconv.FormatFloat(float64(v), 'f', -1, 64), nil
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), nil
	case bool:
		if v {
			return "1", nil
		}
		return "0", nil
	case time.Time:
		return v.Format(time.RFC3339Nano), nil
	case time.Duration:
		return strconv.FormatInt(v.Nanoseconds(), 10), nil
	case encoding.BinaryMarshaler:
		b, err := v.MarshalBinary()
		return string(b), err
	case net.IP:
		return string(v), nil
	}
	return "", fmt.Errorf("cannot log argument of type %T", v)
}

// absoluteTTL rewrites a command that sets a relative expiry into one with
// an absolute expiry from now, so that a replay expires the key when the
// original would have, not a TTL later.
func absoluteTTL(args []string, now time.Time) []string {
	at := func(v string, unit time.Duration) string {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return ""
		}
		return strconv.FormatInt(now.Add(time.Duration(n)*unit).UnixMilli(), 10)
	}
	name := strings.ToUpper(args[0])
	switch {
	case (name == "SET" && len(args) > 3) || (name == "GETEX" && len(args) > 2):
		out := append([]string(nil), args...)
		first := 3 // options follow the value
		if name == "GETEX" {
			first = 2
		}
		for i := first; i+1 < len(out); i++ {
			unit := time.Duration(0)
			switch strings.ToUpper(out[i]) {
			case "EX":
				unit = time.Second
			case "PX":
				unit = time.Millisecond
			}
			if unit != 0 {
				if ms := at(out[i+1], unit); ms != "" {
					out[i], out[i+1] = "PXAT", ms
				}
				return out
			}
		}
		return out
	case (name == "SETEX" || name == "PSETEX") && len(args) == 4:
		unit := time.Second
		if name == "PSETEX" {
			unit = time.Millisecond
		}
		if ms := at(args[2], unit); ms != "" {
			return []string{"SET", args[1], args[3], "PXAT", ms}
		}
	case (name == "EXPIRE" || name == "PEXPIRE") && len(args) >= 3:
		unit := time.Second
		if name == "PEXPIRE" {
			unit = time.Millisecond
		}
		if ms := at(args[2], unit); ms != "" {
			return append([]string{"PEXPIREAT", args[1], ms}, args[3:]...)
		}
	}
	return args
}

// syncDir makes a rename or creation in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
