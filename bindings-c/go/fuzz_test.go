package imds

import (
	"context"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzGetMetadataPath feeds arbitrary paths through the wrapper's string handling to
// a disabled client, which validates the path and then refuses without sending
// anything: every input ends as invalid input or disabled, never anything else, and
// never a crash.
func FuzzGetMetadataPath(f *testing.F) {
	for _, seed := range []string{"instance-id", "", "/", "a//b", "../x", "a\x00b", "\xff\xfe",
		"tags/instance/Name", strings.Repeat("a", 2000), "http://evil/", "é"} {
		f.Add(seed)
	}
	client, err := New(Options{Disabled: true, Environment: map[string]string{}})
	if err != nil {
		f.Fatal(err)
	}
	defer client.Close()
	f.Fuzz(func(t *testing.T, path string) {
		_, err := client.GetMetadata(context.Background(), path)
		var e *Error
		if !errors.As(err, &e) || (e.Kind != KindInvalidInput && e.Kind != KindDisabled) {
			t.Fatalf("GetMetadata(%q) = %v", path, err)
		}
		if (!utf8.ValidString(path) || strings.ContainsRune(path, 0)) && e.Kind != KindInvalidInput {
			t.Fatalf("GetMetadata(%q) accepted invalid text", path)
		}
	})
}

// FuzzOptions feeds arbitrary strings to every string option: New either builds a
// client or fails with invalid input.
func FuzzOptions(f *testing.F) {
	f.Add("http://127.0.0.1:1338", "IPv4", "default", "NAME", "value")
	f.Add("", "ipv6", "", "", "")
	f.Add("http://[::1", "IPv5", "a\x00b", "\xff", "x")
	f.Fuzz(func(t *testing.T, endpoint, mode, profile, name, value string) {
		client, err := New(Options{
			Endpoint: endpoint, EndpointMode: mode, Profile: profile,
			Environment: map[string]string{name: value}, ConfigFile: "/nonexistent",
		})
		if err == nil {
			_ = client.Close()
			return
		}
		var e *Error
		if !errors.As(err, &e) || e.Kind != KindInvalidInput {
			t.Fatalf("New = %v", err)
		}
	})
}
