package core

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestValidateHostname(t *testing.T) {
	valid := []string{"a", "box", "box-1", "Box1.lab.example", "0", strings.Repeat("a", 63), strings.Repeat("a.", 31) + "ab"}
	invalid := map[string]string{
		"":                        "empty",
		"-box":                    "starts or ends",
		"box-":                    "starts or ends",
		"a..b":                    "empty label",
		"a_b":                     `'_'`,
		"a b":                     `' '`,
		strings.Repeat("a", 64):   "label longer than 63",
		strings.Repeat("ab.", 22): "longer than 64 bytes",
		"über":                    `'ü'`,
	}
	for _, h := range valid {
		if err := ValidateHostname(h); err != nil {
			t.Errorf("ValidateHostname(%q) = %v, want nil", h, err)
		}
	}
	for h, why := range invalid {
		err := ValidateHostname(h)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), why) {
			t.Errorf("ValidateHostname(%q) = %v, want ErrInvalid saying %q", h, err, why)
		}
	}
}

func TestEncodeStepsRejectsNUL(t *testing.T) {
	_, err := encodeSteps([]step{{op: opExec, str: []string{"a\x00b"}, what: `exec "a"`}})
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("err %v, want ErrInvalid", err)
	}
}

func TestSetEnvReplaces(t *testing.T) {
	env := SetEnv([]string{"A=1", "AB=2", "B=3"}, "A=9")
	if !slices.Equal(env, []string{"AB=2", "B=3", "A=9"}) {
		t.Errorf("got %q", env)
	}
}
