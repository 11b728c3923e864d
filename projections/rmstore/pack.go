package rmstore

import (
	"fmt"

	"github.com/klauspost/compress/s2"
)

// Pack compresses a state a read model stores beside its rows (the folded
// aggregate it reads back to apply the next event), in the S2 block format
// (github.com/klauspost/compress/s2). Such states are compact JSON of one
// or two kilobytes, written by the hundred thousand in a rebuild; packed
// they take about half the bytes, which the store writes, logs and reads
// back. The result is a new slice (a queued statement may hold it until it
// runs). Store it in a column of type BytesType.
func Pack(state []byte) []byte { return s2.Encode(nil, state) }

// Unpack returns the state Pack packed.
func Unpack(packed []byte) ([]byte, error) {
	b, err := s2.Decode(nil, packed)
	if err != nil {
		return nil, fmt.Errorf("rmstore: unpack state: %w", err)
	}
	return b, nil
}

// BytesType is the column type of bytes (such as Pack's) in d.
func BytesType(d Dialect) string {
	if d == Postgres {
		return "BYTEA"
	}
	return "BLOB"
}
