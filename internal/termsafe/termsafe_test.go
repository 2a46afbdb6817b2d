package termsafe

import "testing"

func TestUnsafe(t *testing.T) {
	for _, tc := range []struct {
		r    rune
		want bool
	}{
		{'a', false}, {' ', false}, {'é', false}, {'世', false},
		{'\x1b', true}, {'\n', true}, {'\r', true}, {'\x7f', true}, {'\u009b', true}, // CSI, as one C1 code
		{'\u2028', true}, {'\u00a0', true}, {'\ufffd', true},
	} {
		if got := Unsafe(tc.r); got != tc.want {
			t.Errorf("Unsafe(%U) = %v, want %v", tc.r, got, tc.want)
		}
	}
}
