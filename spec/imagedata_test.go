package spec

import (
	"path/filepath"
	"testing"
)

// flowers17's keys: dir resolves against the spec's directory, seed is
// recorded as set; both are refused for other data.
func TestFlowers17Keys(t *testing.T) {
	dir := t.TempDir()
	s := parseIn(t, dir, "data: {builtin: flowers17, dir: photos, seed: 7, validation_split: 0.1}\n")
	if want := filepath.Join(dir, "photos"); s.Data.ImageDir != want {
		t.Errorf("ImageDir %q, want %q", s.Data.ImageDir, want)
	}
	if s.Data.Seed != 7 || !s.Data.SeedSet {
		t.Errorf("Seed %d (set %v), want 7", s.Data.Seed, s.Data.SeedSet)
	}
	s = parseIn(t, dir, "data: {builtin: flowers17}\n")
	if s.Data.SeedSet || s.Data.ImageDir != "" {
		t.Errorf("defaults: %+v", s.Data)
	}
	if err := s.Data.UseImageDir("/x"); err != nil || s.Data.ImageDir != "/x" {
		t.Errorf("UseImageDir: %v, %q", err, s.Data.ImageDir)
	}
	for _, c := range []struct{ src, want string }{
		{"data: {builtin: mnist, dir: photos}\n", "data.dir"},
		{"data: {builtin: boston, seed: 3}\n", "data.seed"},
		{"data: {builtin: flowers17, seed: -1}\n", "data.seed"},
		{"data: {builtin: flowers17, dir: [a]}\n", "data.dir"},
	} {
		_, err := Parse([]byte(anyModel+c.src), "spec.yaml", dir)
		mustContain(t, c.src, err, c.want)
	}
	s = parseIn(t, dir, "data: {builtin: mnist}\n")
	if err := s.Data.UseImageDir("/x"); err == nil {
		t.Error("UseImageDir replaced MNIST data")
	}
}
